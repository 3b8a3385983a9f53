import { isAbsolute, join } from 'node:path';
import { QuestDBStore } from '../../sinks/questdb/questdb-store.js';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../log/logger.js';
import { MemoryRouterState, RedisRouterState, type RouterStateStore } from '../state/router-state.js';
import { MemorySilenceStore, RedisSilenceStore, type SilenceStore } from '../state/silence-store.js';
import type { Store } from '../store/store.js';
import type { FleetpulseConfig } from './config.js';

/**
 * Creates the silence store of the deployment: a Redis hash in the
 * distributed one, or memory saved to `router.silences.file` under data_dir
 * in the embedded one (an absolute path is used as it is). One instance
 * serves the gateway and the router of a process.
 */
export function createSilenceStore(config: FleetpulseConfig, clock: Clock): SilenceStore {
  if (config.deployment === 'embedded') {
    const file = config.router.silences.file;
    return new MemorySilenceStore({ clock, file: isAbsolute(file) ? file : join(config.data_dir, file) });
  }
  return new RedisSilenceStore(config.state.redis.url, config.state.redis.key_prefix, { clock });
}

/** Creates the router state: in memory in the embedded deployment, in Redis under `<key_prefix>router:<group>:` in the distributed one. */
export function createRouterState(config: FleetpulseConfig, clock: Clock, routerGroup: string): RouterStateStore {
  if (config.deployment === 'embedded') return new MemoryRouterState(clock);
  return new RedisRouterState(config.state.redis.url, { keyPrefix: `${config.state.redis.key_prefix}router:${routerGroup}:`, clock });
}

/**
 * Opens read access to the store for the gateway's decisions log and
 * heatmap. A process that runs the sink role uses its own store. A
 * distributed gateway process queries QuestDB over the PostgreSQL wire port.
 * `close` is set when this function opened the store.
 */
export async function openStoreReader(
  config: FleetpulseConfig,
  sinkStore: Store | undefined,
  clock: Clock,
  logger: Logger,
): Promise<{ reader: Pick<Store, 'queryDecisions' | 'queryHeatmap' | 'queryHeatmapCell' | 'queryOutlierMarks'>; close?: () => Promise<void> }> {
  if (sinkStore) return { reader: sinkStore };
  const store = new QuestDBStore({ config: config.store.questdb, logger: logger.child({ component: 'store' }), clock });
  await store.init();
  return { reader: store, close: () => store.close() };
}
