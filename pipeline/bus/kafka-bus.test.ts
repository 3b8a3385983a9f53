import t from 'tap';
import { silentLogger } from '../log/logger.js';
import { testServices } from '../test-support/services.js';
import { busContract } from './contract.js';
import { KafkaBus } from './kafka-bus.js';

busContract(t, async (topics) =>
  new KafkaBus({
    brokers: testServices.kafkaBrokers,
    clientId: 'fleetpulse-contract-test',
    topics,
    replicationFactor: 1,
    publishTimeoutMs: 5_000,
    logger: silentLogger,
  }),
);
