import { createHash } from 'node:crypto';
import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { type AlertGroupView, alertGroup, groupName, groupSeverity, groupStatusTitle } from '../group.js';
import { formatTime, formatValue, orderedAnnotations, pairs, stateTitle, truncate } from '../text.js';

/** An email for one notification, ready for nodemailer's sendMail. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  /** Message-ID `<hash@domain>`, derived from the idempotency key, so that a resent notification keeps its Message-ID. */
  messageId: string;
  /**
   * References header shared by every notification of one group, or of one
   * alert when there is no group key, so that mail clients thread them.
   */
  references: string;
  headers: Record<string, string>;
}

/** Maximum subject length. A longer subject is cut with an ellipsis. */
const MAX_SUBJECT = 200;

/**
 * Maximum number of alerts of a group shown in full in one email. The rest
 * are named in one line of at most MAX_MORE_TEXT characters, so that an alert
 * storm makes a readable email rather than one of many megabytes.
 */
export const EMAIL_MAX_ALERTS = 100;
const MAX_MORE_TEXT = 2_000;
/** Maximum length of each annotation value of an alert in a group email. */
const MAX_GROUP_ANNOTATION = 2_000;

/** Heading colours: red, orange and blue for the severities of firing alerts, green once resolved and grey for other states. */
const COLOURS = { critical: '#C62828', warning: '#EF6C00', info: '#1565C0', resolved: '#2E7D32', other: '#616161' } as const;

const CELL = 'style="padding:2px 12px 2px 0;vertical-align:top"';

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * Builds the email of a notification: subject, text and HTML. A notification
 * of one alert shows it in detail. A group of several starts with the group's status and counts,
 * then shows up to EMAIL_MAX_ALERTS alerts in detail and names the rest.
 * `fromAddress` supplies the domain of the Message-ID. Every value in the
 * HTML part is escaped. The subject has control characters replaced by
 * spaces, because a line break would end the header.
 */
export function encodeEmail(notification: Notification, fromAddress: string): EmailMessage {
  const group = alertGroup(notification);
  const single = group.alerts.length === 1 ? group.alerts[0] : undefined;
  const rawSubject = single
    ? `[${stateTitle(single)}] ${single.severity} ${single.rule} on ${single.agentId}`
    : `[${groupStatusTitle(group)}] ${groupName(group)}: ${group.alerts.length} alerts, ${group.firing} firing, ${group.resolved} resolved`;
  const subject = truncate(rawSubject.replace(/[\u0000-\u001f\u007f]+/g, ' '), MAX_SUBJECT);
  const domain = /@([^\s<>@]+)>?\s*$/.exec(fromAddress)?.[1] ?? 'fleetpulse.invalid';

  const headers: Record<string, string> = { 'X-Fleetpulse-Idempotency-Key': notification.idempotencyKey };
  if (single) headers['X-Fleetpulse-Fingerprint'] = single.fingerprint;
  if (group.groupKey !== undefined) headers['X-Fleetpulse-Group-Key'] = group.groupKey;

  return {
    subject,
    text: single ? `${alertText(single, notification.receiver).join('\n')}\n` : groupText(notification, group),
    html: htmlDocument(subject, single ? alertHtml(single, notification.receiver, 'h2') : groupHtml(notification, group)),
    messageId: `<${digest(notification.idempotencyKey)}@${domain}>`,
    references: group.groupKey !== undefined ? `<group-${digest(group.groupKey)}@${domain}>` : `<alert-${digest(group.alerts[0]!.fingerprint)}@${domain}>`,
    headers,
  };
}

/** Splits a group's alerts into those shown in detail and those only named. */
function splitAlerts(group: AlertGroupView): { shown: AlertEvent[]; hidden: AlertEvent[] } {
  return { shown: group.alerts.slice(0, EMAIL_MAX_ALERTS), hidden: group.alerts.slice(EMAIL_MAX_ALERTS) };
}

function groupSummary(group: AlertGroupView): string[] {
  const labels = pairs(group.groupLabels).map(([key, value]) => `${key}=${value}`).join(', ');
  return [`${group.alerts.length} alerts: ${group.firing} firing, ${group.resolved} resolved`, `Grouped by: ${labels === '' ? 'nothing, one group for all alerts' : labels}`];
}

/** Builds the line that names the alerts not shown, such as `and 12 more alerts: HighCPU firing on web-101, …`, at most MAX_MORE_TEXT characters. */
function moreText(hidden: readonly AlertEvent[]): string {
  return truncate(`and ${hidden.length} more alerts: ${hidden.map((alert) => `${alert.rule} ${alert.state} on ${alert.agentId}`).join(', ')}`, MAX_MORE_TEXT);
}

function groupFooter(notification: Notification, group: AlertGroupView): string {
  return `Group ${group.groupKey ?? groupName(group)}, receiver ${notification.receiver}`;
}

function groupText(notification: Notification, group: AlertGroupView): string {
  const { shown, hidden } = splitAlerts(group);
  const lines = [`${groupStatusTitle(group)}: ${groupName(group)}`, ...groupSummary(group)];
  for (const [index, alert] of shown.entries()) {
    lines.push('', `--- Alert ${index + 1} of ${group.alerts.length} ---`, ...alertText(alert, undefined, MAX_GROUP_ANNOTATION));
  }
  if (hidden.length > 0) lines.push('', moreText(hidden));
  lines.push('', groupFooter(notification, group));
  return `${lines.join('\n')}\n`;
}

/** Builds the text lines of one alert. The footer names `receiver` when given, and annotation values are cut at `maxValue`. */
function alertText(alert: AlertEvent, receiver: string | undefined, maxValue = Number.POSITIVE_INFINITY): string[] {
  const lines = [`${stateTitle(alert)}: ${alert.rule} on ${alert.agentId}`, '', ...summaryRows(alert).map(([name, value]) => `${name}: ${value}`)];

  const annotations = orderedAnnotations(alert.annotations);
  if (annotations.length > 0) {
    lines.push('', 'Annotations');
    // Continuation lines are indented further so that multi-line values stay readable.
    for (const [key, value] of annotations) lines.push(`  ${key}: ${truncate(value, maxValue).replace(/\r?\n/g, '\n    ')}`);
  }
  lines.push('', 'Labels', ...pairLines(alert.labels));
  lines.push('', 'Tags', ...pairLines(alert.tags));
  lines.push('', footerText(alert, receiver));
  return lines;
}

function footerText(alert: AlertEvent, receiver: string | undefined): string {
  return `Fingerprint ${alert.fingerprint}, transition ${alert.sequence}${receiver === undefined ? '' : `, receiver ${receiver}`}`;
}

function pairLines(record: Readonly<Record<string, string>>): string[] {
  const entries = pairs(record);
  return entries.length === 0 ? ['  none'] : entries.map(([key, value]) => `  ${key}=${value}`);
}

function htmlDocument(subject: string, body: string[]): string {
  return [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:sans-serif">',
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}

function groupHtml(notification: Notification, group: AlertGroupView): string[] {
  const { shown, hidden } = splitAlerts(group);
  const severity = groupSeverity(group);
  const colour = group.status === 'resolved' || !severity ? COLOURS.resolved : COLOURS[severity];
  const body = [
    `<h2 style="color:${colour}">${escapeHtml(`${groupStatusTitle(group)}: ${groupName(group)}`)}</h2>`,
    ...groupSummary(group).map((line) => `<p>${escapeHtml(line)}</p>`),
  ];
  for (const alert of shown) body.push('<hr>', ...alertHtml(alert, undefined, 'h3', MAX_GROUP_ANNOTATION));
  if (hidden.length > 0) body.push('<hr>', `<p>${escapeHtml(moreText(hidden))}</p>`);
  body.push(`<p style="color:#616161">${escapeHtml(groupFooter(notification, group))}</p>`);
  return body;
}

/** Builds the HTML of one alert under a heading of `level`, with section headings one level below. */
function alertHtml(alert: AlertEvent, receiver: string | undefined, level: 'h2' | 'h3', maxValue = Number.POSITIVE_INFINITY): string[] {
  const sub = level === 'h2' ? 'h3' : 'h4';
  const rows = (entries: Array<[string, string]>, empty: string): string =>
    entries.length === 0
      ? `<p>${escapeHtml(empty)}</p>`
      : `<table>${entries.map(([name, value]) => `<tr><th align="left" ${CELL}>${escapeHtml(name)}</th><td ${CELL}>${escapeHtml(value)}</td></tr>`).join('')}</table>`;

  const annotations = orderedAnnotations(alert.annotations);
  const annotationList =
    annotations.length === 0
      ? ''
      : `<${sub}>Annotations</${sub}><dl>${annotations
          .map(([key, value]) => `<dt><b>${escapeHtml(key)}</b></dt><dd style="white-space:pre-wrap;margin:0 0 8px 16px">${escapeHtml(truncate(value, maxValue))}</dd>`)
          .join('')}</dl>`;

  const title = level === 'h2' ? `${stateTitle(alert)}: ${alert.rule}` : `${stateTitle(alert)}: ${alert.rule} on ${alert.agentId}`;
  return [
    `<${level} style="color:${colour(alert)}">${escapeHtml(title)}</${level}>`,
    rows(summaryRows(alert), ''),
    annotationList,
    `<${sub}>Labels</${sub}>`,
    rows(pairs(alert.labels), 'none'),
    `<${sub}>Tags</${sub}>`,
    rows(pairs(alert.tags), 'none'),
    `<p style="color:#616161">${escapeHtml(footerText(alert, receiver))}</p>`,
  ];
}

function summaryRows(alert: AlertEvent): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Agent', alert.agentId],
    ['Severity', alert.severity],
    ['State', alert.state],
    ['Value', formatValue(alert.value)],
    ['Active since', formatTime(alert.activeAt)],
  ];
  if (alert.state === 'resolved') rows.push(['Resolved at', formatTime(alert.at)]);
  return rows;
}

function colour(alert: AlertEvent): string {
  if (alert.state === 'resolved') return COLOURS.resolved;
  if (alert.state !== 'firing') return COLOURS.other;
  return COLOURS[alert.severity];
}

/** Returns the first 32 hex digits of the SHA-256 of `text`, a Message-ID local part that any text maps to safely. */
const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);
