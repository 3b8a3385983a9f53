import { createHash } from 'node:crypto';
import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { formatTime, formatValue, orderedAnnotations, pairs, stateTitle, truncate } from '../text.js';

/** An email for one notification, ready for nodemailer's sendMail. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  /** `<hash@domain>`, derived from the idempotency key, so a resent notification keeps its Message-ID. */
  messageId: string;
  /** Shared by every transition of one alert, so mail clients thread firing and resolved. */
  references: string;
  headers: Record<string, string>;
}

/** Maximum subject length; a longer subject is cut with an ellipsis. */
const MAX_SUBJECT = 200;

/** Heading colours: red, amber and blue for firing severities, green once resolved. */
const COLOURS = { critical: '#C62828', warning: '#EF6C00', info: '#1565C0', resolved: '#2E7D32', other: '#616161' } as const;

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * Builds subject, text and HTML. `fromAddress` supplies the domain of the
 * Message-ID. Every value in the HTML part is escaped; the subject has control
 * characters replaced by spaces, because a line break would end the header.
 */
export function encodeEmail(notification: Notification, fromAddress: string): EmailMessage {
  const { alert } = notification;
  const subject = truncate(`[${stateTitle(alert)}] ${alert.severity} ${alert.rule} on ${alert.agentId}`.replace(/[\u0000-\u001f\u007f]+/g, ' '), MAX_SUBJECT);
  const domain = /@([^\s<>@]+)>?\s*$/.exec(fromAddress)?.[1] ?? 'fleetpulse.invalid';

  return {
    subject,
    text: encodeText(notification),
    html: encodeHtml(notification, subject),
    messageId: `<${digest(notification.idempotencyKey)}@${domain}>`,
    references: `<alert-${digest(alert.fingerprint)}@${domain}>`,
    headers: {
      'X-Fleetpulse-Fingerprint': alert.fingerprint,
      'X-Fleetpulse-Idempotency-Key': notification.idempotencyKey,
    },
  };
}

function encodeText(notification: Notification): string {
  const { alert } = notification;
  const lines = [`${stateTitle(alert)}: ${alert.rule} on ${alert.agentId}`, '', ...summaryRows(alert).map(([name, value]) => `${name}: ${value}`)];

  const annotations = orderedAnnotations(alert.annotations);
  if (annotations.length > 0) {
    lines.push('', 'Annotations');
    // Continuation lines are indented further so that multi-line values stay readable.
    for (const [key, value] of annotations) lines.push(`  ${key}: ${value.replace(/\r?\n/g, '\n    ')}`);
  }
  lines.push('', 'Labels', ...pairLines(alert.labels));
  lines.push('', 'Tags', ...pairLines(alert.tags));
  lines.push('', `Fingerprint ${alert.fingerprint}, transition ${alert.sequence}, receiver ${notification.receiver}`);
  return `${lines.join('\n')}\n`;
}

function pairLines(record: Readonly<Record<string, string>>): string[] {
  const entries = pairs(record);
  return entries.length === 0 ? ['  none'] : entries.map(([key, value]) => `  ${key}=${value}`);
}

function encodeHtml(notification: Notification, subject: string): string {
  const { alert } = notification;
  const cell = 'style="padding:2px 12px 2px 0;vertical-align:top"';
  const rows = (entries: Array<[string, string]>, empty: string): string =>
    entries.length === 0
      ? `<p>${escapeHtml(empty)}</p>`
      : `<table>${entries.map(([name, value]) => `<tr><th align="left" ${cell}>${escapeHtml(name)}</th><td ${cell}>${escapeHtml(value)}</td></tr>`).join('')}</table>`;

  const annotations = orderedAnnotations(alert.annotations);
  const annotationList =
    annotations.length === 0
      ? ''
      : `<h3>Annotations</h3><dl>${annotations.map(([key, value]) => `<dt><b>${escapeHtml(key)}</b></dt><dd style="white-space:pre-wrap;margin:0 0 8px 16px">${escapeHtml(value)}</dd>`).join('')}</dl>`;

  return [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:sans-serif">',
    `<h2 style="color:${colour(alert)}">${escapeHtml(`${stateTitle(alert)}: ${alert.rule}`)}</h2>`,
    rows(summaryRows(alert), ''),
    annotationList,
    '<h3>Labels</h3>',
    rows(pairs(alert.labels), 'none'),
    '<h3>Tags</h3>',
    rows(pairs(alert.tags), 'none'),
    `<p style="color:#616161">${escapeHtml(`Fingerprint ${alert.fingerprint}, transition ${alert.sequence}, receiver ${notification.receiver}`)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
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

/** 32 hex digits of SHA-256: a Message-ID local part that any text maps to safely. */
const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);
