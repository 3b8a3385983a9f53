import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { type AlertGroupView, alertGroup, groupName, groupSeverity, groupStatusTitle } from '../group.js';
import { ELLIPSIS, formatTime, formatValue, orderedAnnotations, pairs, stateEmoji, stateTitle, truncate } from '../text.js';

/**
 * Maximum message length after entity parsing (Bot API `sendMessage`: "1-4096
 * characters after entities parsing"), counted here in UTF-16 code units, the
 * unit of Telegram's entity offsets and never less than its character count.
 */
export const TELEGRAM_MAX_TEXT = 4_096;

/** Maximum length of the labels line and of the tags line, so that annotations keep most of the message. */
const MAX_PAIRS_LINE = 1_024;
/** Maximum length of the rule name and of the agent id in the title lines. */
const MAX_NAME = 256;

/**
 * A run of text with at most one formatting tag. Messages are built from
 * spans rather than HTML text so that every cut keeps tags balanced and
 * entities whole, and so that the parsed length is the sum of span lengths.
 */
interface Span {
  text: string;
  tag?: 'b' | 'i' | 'code';
}
type Line = Span[];

/**
 * Escapes text for Telegram's HTML parse mode. Only `<`, `>` and `&` need
 * entities outside tags (Bot API formatting options, HTML style). Every
 * other character, emoji and line breaks included, is sent as it is.
 */
export const escapeTelegramHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Encodes the `text` of a sendMessage request in HTML parse mode, at most
 * TELEGRAM_MAX_TEXT characters once parsed. A notification of one alert
 * shows it in detail. A group of several lists each alert (see encodeGroupText).
 */
export function encodeTelegramText(notification: Notification): string {
  const group = alertGroup(notification);
  if (group.alerts.length > 1) return encodeGroupText(notification, group);

  const [alert] = group.alerts as [AlertEvent];

  const head = headLines(alert);
  const labels = fit([pairsLine('Labels', alert.labels)], MAX_PAIRS_LINE);
  const tags = fit([pairsLine('Tags', alert.tags)], MAX_PAIRS_LINE);
  const footer: Line[] = [[{ text: truncate(`fingerprint ${alert.fingerprint} · transition ${alert.sequence}`, MAX_NAME), tag: 'i' }]];

  const fixed = [head, labels, tags, footer];
  const annotationLines = orderedAnnotations(alert.annotations).flatMap(([key, value]): Line[] => [[{ text: key, tag: 'b' }], [{ text: value }]]);
  // Sections are separated by a blank line, which is two line breaks.
  const fixedLength = fixed.reduce((sum, section) => sum + sectionLength(section), 0) + 2 * (fixed.length - 1);
  const annotations = annotationLines.length > 0 ? fit(annotationLines, TELEGRAM_MAX_TEXT - fixedLength - 2) : [];

  const sections = annotations.length > 0 ? [head, annotations, labels, tags, footer] : fixed;
  return sections.map(renderSection).join('\n\n');
}

/** Limits, in parsed characters, of the parts of one alert's section in a group message. */
const GROUP_ALERT_PARTS = { name: 128, annotations: 400, labels: 200, tags: 200 } as const;
/** Parsed characters kept free for the "… and N more alerts" line while alerts are added. */
const MORE_LINE_RESERVE = 200;

/**
 * Builds the message of a group: a head with the status, the group's name
 * and counts, one section per alert (state, rule, agent, value, annotations,
 * labels and tags) and a footer with the group key. Sections are added while
 * they fit within TELEGRAM_MAX_TEXT. The alerts that do not fit are summed
 * up in one line, "… and N more alerts", that names as many as fit.
 */
function encodeGroupText(notification: Notification, group: AlertGroupView): string {
  const severity = groupSeverity(group);
  const emoji = group.status === 'resolved' || !severity ? '✅' : stateEmoji({ state: 'firing', severity });
  const groupLabels = pairs(group.groupLabels).map(([key, value]) => `${key}=${value}`).join(', ');
  const head = fit(
    [
      [{ text: `${emoji} ` }, { text: `[${groupStatusTitle(group)}]`, tag: 'b' }, { text: ` ${truncate(groupName(group), MAX_NAME)}` }],
      [{ text: `${group.alerts.length} alerts: ${group.firing} firing, ${group.resolved} resolved` }],
      [{ text: 'Grouped by: ', tag: 'i' }, { text: groupLabels === '' ? 'nothing, one group for all alerts' : groupLabels }],
    ],
    MAX_PAIRS_LINE,
  );
  const footer: Line[] = [[{ text: truncate(`group ${group.groupKey ?? groupName(group)} · receiver ${notification.receiver}`, MAX_NAME), tag: 'i' }]];

  // Sections are separated by a blank line, which is two line breaks.
  let used = sectionLength(head) + 2 + sectionLength(footer);
  const alertSections: Line[][] = [];
  for (const [index, alert] of group.alerts.entries()) {
    const section = groupAlertLines(alert);
    const length = 2 + sectionLength(section);
    const reserve = index < group.alerts.length - 1 ? 2 + MORE_LINE_RESERVE : 0;
    if (used + length + reserve > TELEGRAM_MAX_TEXT) break;
    alertSections.push(section);
    used += length;
  }

  const hidden = group.alerts.slice(alertSections.length);
  if (hidden.length > 0) {
    const names = hidden.map((alert) => `${alert.rule} ${alert.state} on ${alert.agentId}`).join(', ');
    alertSections.push(fit([[{ text: `${ELLIPSIS} and ${hidden.length} more alerts: `, tag: 'b' }, { text: names }]], TELEGRAM_MAX_TEXT - used - 2));
  }
  return [head, ...alertSections, footer].map(renderSection).join('\n\n');
}

/** Builds one alert's lines in a group message, each part within GROUP_ALERT_PARTS. */
function groupAlertLines(alert: AlertEvent): Line[] {
  const title: Line = [
    { text: `${stateEmoji(alert)} ` },
    { text: stateTitle(alert), tag: 'b' },
    { text: ` · ${alert.severity} · ` },
    { text: truncate(alert.rule, GROUP_ALERT_PARTS.name), tag: 'b' },
    { text: ' on ' },
    { text: truncate(alert.agentId, GROUP_ALERT_PARTS.name), tag: 'code' },
    { text: ' · value ' },
    { text: formatValue(alert.value), tag: 'code' },
    { text: ` · since ${formatTime(alert.activeAt)}` },
  ];
  const annotationLines = orderedAnnotations(alert.annotations).map(([key, value]): Line => [{ text: `${key}: `, tag: 'i' }, { text: value }]);
  return [
    title,
    ...(annotationLines.length > 0 ? fit(annotationLines, GROUP_ALERT_PARTS.annotations) : []),
    ...fit([pairsLine('Labels', alert.labels)], GROUP_ALERT_PARTS.labels),
    ...fit([pairsLine('Tags', alert.tags)], GROUP_ALERT_PARTS.tags),
  ];
}

function headLines(alert: AlertEvent): Line[] {
  const lines: Line[] = [
    [{ text: `${stateEmoji(alert)} ` }, { text: stateTitle(alert), tag: 'b' }, { text: ` · ${alert.severity}` }],
    [{ text: truncate(alert.rule, MAX_NAME), tag: 'b' }, { text: ' on ' }, { text: truncate(alert.agentId, MAX_NAME), tag: 'code' }],
    [{ text: 'Value: ' }, { text: formatValue(alert.value), tag: 'code' }],
    [{ text: `Active since: ${formatTime(alert.activeAt)}` }],
  ];
  if (alert.state === 'resolved') lines.push([{ text: `Resolved at: ${formatTime(alert.at)}` }]);
  return lines;
}

/** Builds `Labels: k=v, k=v`, or `Tags: none` when empty. */
function pairsLine(label: string, record: Readonly<Record<string, string>>): Line {
  const entries = pairs(record);
  const text = entries.length === 0 ? 'none' : entries.map(([key, value]) => `${key}=${value}`).join(', ');
  return [{ text: `${label}: `, tag: 'i' }, { text }];
}

/** Returns the parsed length of a section: its span texts plus one line break between lines. */
function sectionLength(lines: readonly Line[]): number {
  return lines.reduce((sum, line) => sum + line.reduce((lineSum, span) => lineSum + span.text.length, 0), 0) + Math.max(0, lines.length - 1);
}

/**
 * Returns the leading lines and spans that fit in `budget` parsed characters,
 * line breaks included. The span that crosses the budget is shortened to end
 * with an ellipsis, and everything after it is dropped.
 */
function fit(lines: readonly Line[], budget: number): Line[] {
  const keptLines: Line[] = [];
  let used = 0;
  for (const [index, line] of lines.entries()) {
    const separator = index === 0 ? 0 : 1;
    if (used + separator + ELLIPSIS.length > budget) break;
    used += separator;

    const keptLine: Line = [];
    for (const span of line) {
      if (used + span.text.length <= budget) {
        keptLine.push(span);
        used += span.text.length;
        continue;
      }
      const cut = truncate(span.text, budget - used);
      if (cut !== '') keptLine.push({ ...span, text: cut });
      keptLines.push(keptLine);
      return keptLines;
    }
    keptLines.push(keptLine);
  }
  return keptLines;
}

function renderSection(lines: readonly Line[]): string {
  return lines.map((line) => line.filter((span) => span.text !== '').map(renderSpan).join('')).join('\n');
}

function renderSpan(span: Span): string {
  const text = escapeTelegramHtml(span.text);
  return span.tag ? `<${span.tag}>${text}</${span.tag}>` : text;
}
