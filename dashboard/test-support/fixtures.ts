import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { IngestedBatch, Sample } from '../../pipeline/messages/metric-batch.js';
import type { ServerMessage } from '../client/protocol.js';
import { FleetState, type FleetStateOptions } from '../fleet-state.js';
import type { LiveSocket } from '../hub.js';
import { DeadmanThresholds } from '../status.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Builds a batch of one collection at `ts`, received at `receivedAt`, with the given dashboard metrics and load1. */
export function reportBatch(agentId: string, receivedAt: number, values: { cpu?: number; mem?: number; disk?: number; latency?: number } = {}, options: { ts?: number; tags?: Record<string, string> } = {}): IngestedBatch {
  const ts = options.ts ?? receivedAt;
  const samples: Sample[] = [
    values.cpu === undefined ? undefined : { metric: 'cpu_usage', value: values.cpu, ts, labels: {} },
    values.mem === undefined ? undefined : { metric: 'mem_used_pct', value: values.mem, ts, labels: {} },
    values.disk === undefined ? undefined : { metric: 'disk_used_pct', value: values.disk, ts, labels: { mount: '/' } },
    values.latency === undefined ? undefined : { metric: 'latency_ms', value: values.latency, ts, labels: { target: '127.0.0.1:8443' } },
    { metric: 'load1', value: 0.5, ts, labels: {} },
  ].filter((sample): sample is Sample => sample !== undefined);
  return { version: 1, agentId, tags: options.tags ?? { env: 'test' }, receivedAt, samples };
}

/** Builds an alert transition of `rule` for `agentId`. */
export function alertEvent(rule: string, agentId: string, state: AlertEvent['state'], activeAt: number, at: number, overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    version: 1,
    fingerprint: `${rule}:${agentId}`,
    sequence: 1,
    rule,
    state,
    severity: 'critical',
    agentId,
    labels: { alertname: rule, agent: agentId },
    tags: {},
    annotations: { summary: `${rule} on ${agentId}` },
    value: 1,
    activeAt,
    at,
    notify: [],
    ...overrides,
  };
}

/** Socket that records the messages sent to it and the code it was closed with. */
export class RecordingSocket implements LiveSocket {
  readonly messages: ServerMessage[] = [];
  bufferedAmount = 0;
  closed: number | undefined;
  send(data: string): void {
    this.messages.push(JSON.parse(data) as ServerMessage);
  }
  close(code: number): void {
    this.closed = code;
  }
}

/** Creates a FleetState with 5 sparkline points, a 10 s default interval, late after 2 intervals, silent after 60 s, forgetting after 1 h. */
export function testFleet(overrides: Partial<FleetStateOptions> = {}): FleetState {
  return new FleetState({
    sparklinePoints: 5,
    defaultIntervalMs: 10_000,
    lateIntervals: 2,
    thresholds: new DeadmanThresholds([], 60_000),
    deadmanRules: new Set(['AgentSilent']),
    forgetAfterMs: 3_600_000,
    ...overrides,
  });
}
