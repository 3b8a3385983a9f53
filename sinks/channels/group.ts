import type { AlertEvent, Severity } from '../../pipeline/messages/alert-event.js';
import { type Notification, notificationAlerts } from '../../pipeline/messages/notification.js';
import { pairs } from './text.js';

/**
 * A notification's group as the channels render it. A notification
 * published before routers grouped alerts has no group fields, so it reads
 * as a group of its one alert, with the status of that alert.
 */
export interface AlertGroupView {
  /** Every alert the notification carries, in the router's order: the ones that caused it first. */
  alerts: AlertEvent[];
  status: 'firing' | 'resolved';
  firing: number;
  resolved: number;
  /** The group_by labels and their values; empty when the route groups by nothing. */
  groupLabels: Record<string, string>;
  groupKey?: string;
}

/**
 * Builds the group view of a notification.
 *
 * ```ts
 * const group = alertGroup(notification);
 * const title = `[${groupStatusTitle(group)}] ${groupName(group)}`; // "[FIRING:3] HighCPU"
 * ```
 */
export function alertGroup(notification: Notification): AlertGroupView {
  const alerts = notificationAlerts(notification);
  const firing = alerts.filter((alert) => alert.state === 'firing').length;
  const view: AlertGroupView = {
    alerts,
    status: notification.status ?? (firing > 0 ? 'firing' : 'resolved'),
    firing,
    resolved: alerts.filter((alert) => alert.state === 'resolved').length,
    groupLabels: notification.groupLabels ?? {},
  };
  if (notification.groupKey !== undefined) view.groupKey = notification.groupKey;
  return view;
}

/** Returns `FIRING:3` (the number of firing alerts) or `RESOLVED`, as in Alertmanager's default titles. */
export function groupStatusTitle(group: Pick<AlertGroupView, 'status' | 'firing'>): string {
  return group.status === 'firing' ? `FIRING:${group.firing}` : 'RESOLVED';
}

/**
 * Returns the group's name for titles: the values of its group labels
 * (`HighCPU eu-west`), else the distinct rule names of its alerts.
 */
export function groupName(group: Pick<AlertGroupView, 'groupLabels' | 'alerts'>): string {
  const values = pairs(group.groupLabels).map(([, value]) => value);
  if (values.length > 0) return values.join(' ');
  return [...new Set(group.alerts.map((alert) => alert.rule))].join(', ');
}

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'warning', 'info'];

/** Returns the highest severity among the firing alerts, or undefined when none fires. */
export function groupSeverity(group: Pick<AlertGroupView, 'alerts'>): Severity | undefined {
  const firing = new Set(group.alerts.filter((alert) => alert.state === 'firing').map((alert) => alert.severity));
  return SEVERITY_ORDER.find((severity) => firing.has(severity));
}

/** Returns an alert's labels merged with the agent's tags. A label wins over a tag of the same name. */
export const labelsWithTags = (alert: Pick<AlertEvent, 'labels' | 'tags'>): Record<string, string> => ({ ...alert.tags, ...alert.labels });

/** Returns the pairs that every record has with the same value, as Alertmanager's commonLabels and commonAnnotations. */
export function commonPairs(records: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  const [first, ...rest] = records;
  const common: Record<string, string> = {};
  if (!first) return common;
  for (const [key, value] of Object.entries(first)) {
    if (rest.every((record) => record[key] === value)) common[key] = value;
  }
  return common;
}
