import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
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
   * text beyond 40,000 characters; fleetpulse keeps it far shorter.
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
 * Slack reads `&`, `<` and `>` as control characters in mrkdwn text (links,
 * mentions such as `<!channel>`), so they must be sent as HTML entities.
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

/** Blocks that every message has besides the annotations: header, fields, labels, tags and identity. */
const FIXED_BLOCKS = 5;

/**
 * Builds the message for one notification within Slack's documented limits:
 * every text is shortened with an ellipsis rather than rejected, and
 * annotations beyond the block budget share one last section.
 */
export function encodeSlackMessage(notification: Notification): SlackMessage {
  const { alert } = notification;
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

/** Builds one section per annotation, up to `maxBlocks`; the last one collects whatever does not fit. */
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
  const entries = pairs(record);
  const head = `*${label}:* `;
  const body = entries.length === 0 ? 'none' : entries.map(([key, value]) => `${key}=${value}`).join(' · ');
  return { type: 'context', elements: [mrkdwn(head + truncateEscaped(body, SLACK_LIMITS.textObject - head.length, escapeMrkdwn))] };
}

function colour(alert: AlertEvent): string {
  if (alert.state === 'resolved') return COLOURS.resolved;
  if (alert.state !== 'firing') return COLOURS.other;
  return COLOURS[alert.severity];
}
