import type { AlertEvent, AlertState } from '../../../pipeline/messages/alert-event.js';
import { routerConfigSchema, type RouterConfig } from '../config.js';

/** 2026-03-02T12:00:00Z, a Monday. */
export const T0 = Date.parse('2026-03-02T12:00:00Z');

/** Builds a transition of rule `overrides.rule` (HighCPU by default) on `agentId`, with the fingerprint `<rule>-<agentId>`. */
export function transition(agentId: string, state: AlertState, at: number, overrides: Partial<AlertEvent> = {}): AlertEvent {
  const rule = overrides.rule ?? 'HighCPU';
  return {
    version: 1,
    fingerprint: `${rule}-${agentId}`,
    sequence: 1,
    rule,
    state,
    severity: 'warning',
    agentId,
    labels: { alertname: rule, agent: agentId },
    tags: { env: 'prod', region: 'eu-west' },
    annotations: {},
    value: 95,
    activeAt: at,
    at,
    notify: [],
    ...overrides,
  };
}

/** Parses YAML-shaped input into a router configuration, with the defaults filled in and `oncall` as the default receiver unless `input` names others. */
export function routerConfig(input: Record<string, unknown> = {}): RouterConfig {
  return routerConfigSchema.parse({ default_receivers: ['oncall'], ...input });
}
