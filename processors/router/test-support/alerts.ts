import type { AlertEvent, AlertState } from '../../../pipeline/messages/alert-event.js';
import { routerConfigSchema, type RouterConfig } from '../config.js';

/** 2026-03-02T12:00:00Z, a Monday. */
export const T0 = Date.parse('2026-03-02T12:00:00Z');

/** A transition of rule `rule` on `agentId`; the fingerprint is `<rule>-<agentId>`. */
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

/** A router configuration from YAML-shaped input, with the defaults filled in. */
export function routerConfig(input: Record<string, unknown> = {}): RouterConfig {
  return routerConfigSchema.parse({ default_receivers: ['oncall'], ...input });
}
