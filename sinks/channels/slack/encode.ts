import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { type AlertGroupView, alertGroup, groupName, groupSeverity, groupStatusTitle } from '../group.js';
import { formatTime, formatValue, orderedAnnotations, pairs, stateEmoji, stateTitle, truncate, truncateEscaped } from '../text.js';

/**
 * Block Kit limits for messages, from Slack's reference pages on
 * docs.slack.dev (Blocks, and the header block, section block, context
 * block and text object pages). Text lengths are counted in UTF-16 code
 * units, which is never less than Slack's character count.
 */
export const SLACK_LIMITS = {
  /** Blocks in one message, attachments included. */
  blocks: 50,
  /** Header block text, plain_text only. */
  headerText: 150,
  /** Section block text. */
  sectionText: 3_000,
  /** Items in a section block's `fields`. */
  fields: 10,
  /** Text of each item in `fields`. */
  fieldText: 2_000,
  /** Elements of a context block. */
  contextElements: 10,
  /** Any text object, including context elements. */
  textObject: 3_000,
  /**
   * Top-level `text`, the notification fallback. Slack truncates message
   * text beyond 40,000 characters, and fleetpulse keeps it far shorter.
   */
  fallbackText: 3_000,
} as const;

export interface SlackTextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  /** plain_text only: whether `:emoji:` codes are shown as emoji. */
  emoji?: boolean;
  /** mrkdwn only: true stops Slack from turning names and URLs into links and mentions. */
  verbatim?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackTextObject }
  | { type: 'section'; text?: SlackTextObject; fields?: SlackTextObject[] }
  | { type: 'context'; elements: SlackTextObject[] };

/** The JSON body of an incoming-webhook request. */
export interface SlackMessage {
  /** Shown in notifications and by clients that do not render blocks. */
  text: string;
  attachments: Array<{ color: string; blocks: SlackBlock[] }>;
}

/** Attachment colours: Slack's red, yellow and blue for the severities, green once resolved. */
const COLOURS = {
  critical: '#E01E5A',
  warning: '#ECB22E',
  info: '#36C5F0',
  resolved: '#2EB67D',
  other: '#9E9E9E',
} as const;

/**
 * Escapes `&`, `<` and `>` for mrkdwn text. Slack reads them as control
 * characters (links, mentions such as `<!channel>`), so they must be sent as
 * HTML entities.
 * Formatting characters such as `*` and `_` have no escape in mrkdwn and may
 * still render as bold or italic.
 */
export const escapeMrkdwn = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const mrkdwn = (text: string): SlackTextObject => ({ type: 'mrkdwn', text, verbatim: true });

/** Formats a bold mrkdwn label over an escaped value, shortened to `max` code units. */
function labelled(label: string, value: string, max: number): SlackTextObject {
  const head = `*${escapeMrkdwn(label)}*\n`;
  return mrkdwn(head + truncateEscaped(value, max - head.length, escapeMrkdwn));
}

/** Number of blocks that every single-alert message has besides the annotations: header, fields, labels, tags and identity. */
const FIXED_BLOCKS = 5;

/**
 * Builds the message for one notification within Slack's documented limits:
 * every text is shortened with an ellipsis rather than rejected. A
 * notification of one alert shows it in detail, and annotations beyond the
 * block budget share one last section. A group of several alerts gets one
 * section per alert, see encodeGroupMessage.
 */
export function encodeSlackMessage(notification: Notification): SlackMessage {
  const group = alertGroup(notification);
  if (group.alerts.length > 1) return encodeGroupMessage(notification, group);

  const [alert] = group.alerts as [AlertEvent];
  const emoji = stateEmoji(alert);

  const fallback = `${emoji} [${stateTitle(alert)}] ${alert.severity}: ${alert.rule} on ${alert.agentId}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${emoji} ${stateTitle(alert)}: ${alert.rule}`, SLACK_LIMITS.headerText), emoji: true } },
    { type: 'section', fields: summaryFields(alert) },
    ...annotationBlocks(alert.annotations, SLACK_LIMITS.blocks - FIXED_BLOCKS),
    pairsContext('Labels', alert.labels),
    pairsContext('Tags', alert.tags),
    {
      type: 'context',
      elements: [mrkdwn(truncateEscaped(`fingerprint ${alert.fingerprint} · transition ${alert.sequence} · receiver ${notification.receiver}`, SLACK_LIMITS.textObject, escapeMrkdwn))],
    },
  ];

  return {
    text: truncateEscaped(fallback, SLACK_LIMITS.fallbackText, escapeMrkdwn),
    attachments: [{ color: colour(alert), blocks }],
  };
}

/** Number of blocks of a group message besides the alert sections: header, counts and the footer. */
const GROUP_FIXED_BLOCKS = 3;

/**
 * Limits of the parts of one alert's section in a group message. With the
 * line breaks between them they stay below SLACK_LIMITS.sectionText.
 */
const GROUP_ALERT_PARTS = { title: 400, annotations: 1_500, labels: 500, tags: 500 } as const;

/**
 * Builds the message of a group. It has a header with the status and the
 * group's name, the counts of firing and resolved alerts, one section per
 * alert (state, rule, agent, value, annotations, labels and tags) and a
 * footer with the group key. Alerts beyond the 50-block budget are summed
 * up in one last section, "…and N more alerts", that names as many of
 * them as fit.
 */
function encodeGroupMessage(notification: Notification, group: AlertGroupView): SlackMessage {
  const severity = groupSeverity(group);
  const emoji = group.status === 'resolved' || !severity ? '✅' : stateEmoji({ state: 'firing', severity });
  const title = `[${groupStatusTitle(group)}] ${groupName(group)}`;

  const alertBudget = SLACK_LIMITS.blocks - GROUP_FIXED_BLOCKS;
  const detailed = group.alerts.length <= alertBudget ? group.alerts : group.alerts.slice(0, alertBudget - 1);
  const hidden = group.alerts.slice(detailed.length);

  const groupLabels = pairs(group.groupLabels).map(([key, value]) => `${key}=${value}`).join(' · ');
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${emoji} ${title}`, SLACK_LIMITS.headerText), emoji: true } },
    {
      type: 'section',
      fields: [
        labelled('Alerts', String(group.alerts.length), SLACK_LIMITS.fieldText),
        labelled('Firing', String(group.firing), SLACK_LIMITS.fieldText),
        labelled('Resolved', String(group.resolved), SLACK_LIMITS.fieldText),
        labelled('Grouped by', groupLabels === '' ? 'nothing: one group for all alerts' : groupLabels, SLACK_LIMITS.fieldText),
      ],
    },
    ...detailed.map((alert): SlackBlock => ({ type: 'section', text: mrkdwn(alertSection(alert)) })),
  ];
  if (hidden.length > 0) {
    const head = `*…and ${hidden.length} more alerts:* `;
    const names = hidden.map((alert) => `${alert.rule} ${alert.state} on ${alert.agentId}`).join(' · ');
    blocks.push({ type: 'section', text: mrkdwn(head + truncateEscaped(names, SLACK_LIMITS.sectionText - head.length, escapeMrkdwn)) });
  }
  blocks.push({
    type: 'context',
    elements: [mrkdwn(truncateEscaped(`group ${group.groupKey ?? groupName(group)} · receiver ${notification.receiver}`, SLACK_LIMITS.textObject, escapeMrkdwn))],
  });

  const fallback = `${emoji} ${title}: ${group.alerts.length} alerts, ${group.firing} firing, ${group.resolved} resolved`;
  return {
    text: truncateEscaped(fallback, SLACK_LIMITS.fallbackText, escapeMrkdwn),
    attachments: [{ color: group.status === 'resolved' || !severity ? COLOURS.resolved : COLOURS[severity], blocks }],
  };
}

/** Builds the mrkdwn text of one alert in a group message, within SLACK_LIMITS.sectionText. */
function alertSection(alert: AlertEvent): string {
  const title = `${stateEmoji(alert)} ${stateTitle(alert)} · ${alert.severity} · ${alert.rule} on ${alert.agentId} · value ${formatValue(alert.value)} · since ${formatTime(alert.activeAt)}`;
  const lines = [`*${truncateEscaped(title, GROUP_ALERT_PARTS.title, escapeMrkdwn)}*`];

  const annotations = orderedAnnotations(alert.annotations).map(([key, value]) => `${key}: ${value}`);
  if (annotations.length > 0) lines.push(truncateEscaped(annotations.join('\n'), GROUP_ALERT_PARTS.annotations, escapeMrkdwn));

  lines.push(pairsText('Labels', alert.labels, GROUP_ALERT_PARTS.labels), pairsText('Tags', alert.tags, GROUP_ALERT_PARTS.tags));
  return lines.join('\n');
}

function summaryFields(alert: AlertEvent): SlackTextObject[] {
  const fields = [
    labelled('Agent', alert.agentId, SLACK_LIMITS.fieldText),
    labelled('Severity', alert.severity, SLACK_LIMITS.fieldText),
    labelled('Value', formatValue(alert.value), SLACK_LIMITS.fieldText),
    labelled('State', alert.state, SLACK_LIMITS.fieldText),
    labelled('Rule', alert.rule, SLACK_LIMITS.fieldText),
    labelled('Active since', formatTime(alert.activeAt), SLACK_LIMITS.fieldText),
  ];
  if (alert.state === 'resolved') fields.push(labelled('Resolved at', formatTime(alert.at), SLACK_LIMITS.fieldText));
  return fields.slice(0, SLACK_LIMITS.fields);
}

/** Builds one section per annotation, up to `maxBlocks`. The last one collects whatever does not fit. */
function annotationBlocks(annotations: Readonly<Record<string, string>>, maxBlocks: number): SlackBlock[] {
  const entries = orderedAnnotations(annotations);
  const blocks: SlackBlock[] = [];

  for (const [index, [key, value]] of entries.entries()) {
    if (index === maxBlocks - 1 && entries.length > maxBlocks) {
      // escapeMrkdwn leaves `*` alone, so the raw lines can be escaped and cut as one text.
      const rest = entries.slice(index).map(([restKey, restValue]) => `*${restKey}*: ${restValue}`);
      blocks.push({ type: 'section', text: mrkdwn(truncateEscaped(rest.join('\n'), SLACK_LIMITS.sectionText, escapeMrkdwn)) });
      break;
    }
    blocks.push({ type: 'section', text: labelled(key, value, SLACK_LIMITS.sectionText) });
  }
  return blocks;
}

/** Builds a context block such as `*Tags:* env=prod · team=db`, or `*Tags:* none`. */
function pairsContext(label: string, record: Readonly<Record<string, string>>): SlackBlock {
  return { type: 'context', elements: [mrkdwn(pairsText(label, record, SLACK_LIMITS.textObject))] };
}

/** Formats `*Tags:* env=prod · team=db`, or `*Tags:* none`, escaped and at most `max` code units. */
function pairsText(label: string, record: Readonly<Record<string, string>>, max: number): string {
  const entries = pairs(record);
  const head = `*${label}:* `;
  const body = entries.length === 0 ? 'none' : entries.map(([key, value]) => `${key}=${value}`).join(' · ');
  return head + truncateEscaped(body, max - head.length, escapeMrkdwn);
}

function colour(alert: AlertEvent): string {
  if (alert.state === 'resolved') return COLOURS.resolved;
  if (alert.state !== 'firing') return COLOURS.other;
  return COLOURS[alert.severity];
}
