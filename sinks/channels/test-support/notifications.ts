import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';

export const T0 = Date.parse('2026-03-01T12:00:00Z');

/** An agent name made of every character that HTML, Slack mrkdwn or Telegram MarkdownV2 treats specially. */
export const HOSTILE_AGENT = '<b>&*_[]()~>#+-=|{}.!';

/** An annotation with emoji (astral-plane characters, two UTF-16 code units each) and line breaks. */
export const EMOJI_ANNOTATION = 'Disk 🔥 almost full 💾\nline two\n\nline four with `code` & <tags>';

/** Builds a notification to `receiver` of a firing critical alert on web-1. */
export function sampleNotification(receiver = 'oncall', alert: Partial<AlertEvent> = {}): Notification {
  const event: AlertEvent = {
    version: 1,
    fingerprint: 'fp-cpu-web1',
    sequence: 3,
    rule: 'HighCPU',
    state: 'firing',
    severity: 'critical',
    agentId: 'web-1',
    labels: { alertname: 'HighCPU', agent: 'web-1', core: '0' },
    tags: { env: 'prod', team: 'platform' },
    annotations: { summary: 'CPU above 90% for 3m', runbook: 'https://runbooks.example.com/cpu' },
    notify: [receiver],
    value: 97.25,
    activeAt: T0 - 180_000,
    at: T0,
    ...alert,
  };
  return { version: 1, idempotencyKey: `${event.fingerprint}:${event.sequence}:${receiver}`, receiver, alert: event, createdAt: T0 };
}

/** Builds the same notification with hostile text in the agent name, the rule, labels, tags and annotations. */
export function hostileNotification(receiver = 'oncall'): Notification {
  return sampleNotification(receiver, {
    agentId: HOSTILE_AGENT,
    rule: 'Disk<Full>&Co',
    labels: { alertname: 'Disk<Full>&Co', agent: HOSTILE_AGENT, mount: '/data & <b>logs</b>' },
    tags: { owner: 'a&b <ops@example.com>', 'emoji': '🚀 ✨' },
    annotations: { summary: EMOJI_ANNOTATION, description: '</code><i>not a tag</i> &amp; &#x26; *bold* _it_' },
  });
}

/** Builds a notification whose every text is far over any channel's limits. */
export function oversizeNotification(receiver = 'oncall'): Notification {
  const annotations: Record<string, string> = { summary: `${'🔥'.repeat(3_000)} end` };
  for (let i = 0; i < 80; i++) annotations[`note_${String(i).padStart(2, '0')}`] = `${'<&>'.repeat(400)} ${i}`;
  const labels: Record<string, string> = { alertname: 'R'.repeat(500) };
  for (let i = 0; i < 63; i++) labels[`label_${i}`] = 'v&'.repeat(500);
  const tags: Record<string, string> = {};
  for (let i = 0; i < 64; i++) tags[`tag_${i}`] = 't<'.repeat(500);
  return sampleNotification(receiver, { rule: 'R'.repeat(500), agentId: `agent-${'x'.repeat(250)}`, annotations, labels, tags });
}

/**
 * Builds a notification of `count` alerts of rule HighCPU grouped by
 * alertname: web-1 to web-<count>, each with its own tags, the first
 * `resolved` of them resolved and the rest firing. `alert(i)` overrides
 * fields of alert i (0-based).
 */
export function groupNotification(receiver = 'oncall', count = 3, options: { resolved?: number; alert?: (index: number) => Partial<AlertEvent> } = {}): Notification {
  const alerts = Array.from({ length: count }, (_, index): AlertEvent => {
    const agentId = `web-${index + 1}`;
    const resolved = index < (options.resolved ?? 0);
    return {
      ...sampleNotification(receiver).alert,
      fingerprint: `fp-cpu-${agentId}`,
      sequence: resolved ? 2 : 1,
      state: resolved ? 'resolved' : 'firing',
      severity: index % 2 === 0 ? 'critical' : 'warning',
      agentId,
      labels: { alertname: 'HighCPU', agent: agentId },
      tags: { env: 'prod', rack: `r${index + 1}` },
      annotations: { summary: `CPU above 90% on ${agentId}` },
      value: 90 + index,
      at: resolved ? T0 + 60_000 : T0,
      ...options.alert?.(index),
    };
  });
  return {
    version: 1,
    idempotencyKey: `group-key-${count}:${receiver}`,
    receiver,
    alert: alerts[0]!,
    alerts,
    groupKey: `root/${receiver}:{alertname="HighCPU"}`,
    groupLabels: { alertname: 'HighCPU' },
    status: alerts.some((alert) => alert.state === 'firing') ? 'firing' : 'resolved',
    createdAt: T0,
  };
}
