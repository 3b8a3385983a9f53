import { createHash } from 'node:crypto';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import { type Matcher, matchesAll } from '../../pipeline/messages/matcher.js';
import type { RouteConfig, RouterConfig } from './config.js';

/** A route with every inherited setting filled in. */
export interface ResolvedRoute {
  /** The route's name, else its position (`root`, `0`, `0.1`), which also replaces a repeated name. */
  id: string;
  matchers: Matcher[];
  continue: boolean;
  /** Receivers, undefined on the root and on routes that inherit from it. Those use the rule's `notify`, else default_receivers. */
  receivers?: string[];
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  blackouts: string[];
  children: ResolvedRoute[];
}

/** One group an alert belongs to: a route, one of its receivers, and the values of the route's group_by labels. */
export interface GroupAssignment {
  route: ResolvedRoute;
  receiver: string;
  groupKey: string;
  /** Short stable id of the group key, used in state keys. */
  groupId: string;
  groupLabels: Record<string, string>;
}

/**
 * The routing tree: the root route, which matches every alert, and its
 * children. An alert goes to the deepest matching routes, as in Alertmanager.
 * At each level the children are tried in order, and the first match wins
 * unless it sets `continue: true`. A route none of whose children match takes
 * the alert itself.
 */
export class RouteTree {
  readonly root: ResolvedRoute;
  private readonly byId = new Map<string, ResolvedRoute>();

  constructor(private readonly config: RouterConfig) {
    this.root = {
      id: 'root',
      matchers: [],
      continue: false,
      groupBy: config.group_by,
      groupWaitMs: config.group_wait,
      groupIntervalMs: config.group_interval,
      repeatIntervalMs: config.repeat_interval,
      blackouts: config.blackouts,
      children: [],
    };
    this.byId.set(this.root.id, this.root);
    this.root.children = this.resolveChildren(config.routes, this.root, '');
  }

  /** Returns the route with this id, or undefined when the configuration no longer contains it. */
  get(id: string): ResolvedRoute | undefined {
    return this.byId.get(id);
  }

  /** Returns the routes that take an alert with these labels, in tree order. The list contains at least the root. */
  match(labels: Readonly<Record<string, string>>): ResolvedRoute[] {
    return matchRoute(this.root, labels) ?? [this.root];
  }

  /** Returns the groups an alert joins: one per matching route and receiver. */
  assign(event: AlertEvent, labels: Readonly<Record<string, string>>): GroupAssignment[] {
    const assignments: GroupAssignment[] = [];
    for (const route of this.match(labels)) {
      const receivers = route.receivers ?? (event.notify.length > 0 ? event.notify : this.config.default_receivers);
      const groupLabels = groupLabelsOf(route.groupBy, labels);
      for (const receiver of new Set(receivers)) {
        const groupKey = `${route.id}/${receiver}:${formatLabels(groupLabels)}`;
        assignments.push({ route, receiver, groupKey, groupId: hashGroupKey(groupKey), groupLabels });
      }
    }
    return assignments;
  }

  private resolveChildren(routes: readonly RouteConfig[], parent: ResolvedRoute, prefix: string): ResolvedRoute[] {
    return routes.map((config, index) => {
      const position = `${prefix}${index}`;
      const route: ResolvedRoute = {
        id: config.name ?? position,
        matchers: config.matchers,
        continue: config.continue,
        receivers: config.receivers ?? parent.receivers,
        groupBy: config.group_by ?? parent.groupBy,
        groupWaitMs: config.group_wait ?? parent.groupWaitMs,
        groupIntervalMs: config.group_interval ?? parent.groupIntervalMs,
        repeatIntervalMs: config.repeat_interval ?? parent.repeatIntervalMs,
        blackouts: config.blackouts ?? parent.blackouts,
        children: [],
      };
      // Two routes with one id would share groups. A repeated name falls back to the
      // route's position, and a position that a name such as `1` took gets a `#`, which names cannot contain.
      if (this.byId.has(route.id)) route.id = this.byId.has(position) ? `${position}#` : position;
      this.byId.set(route.id, route);
      route.children = this.resolveChildren(config.routes, route, `${position}.`);
      return route;
    });
  }
}

/** Returns the matching routes under `route` (itself when no child matches), or undefined when `route` does not match. */
function matchRoute(route: ResolvedRoute, labels: Readonly<Record<string, string>>): ResolvedRoute[] | undefined {
  if (!matchesAll(route.matchers, labels)) return undefined;
  const found: ResolvedRoute[] = [];
  for (const child of route.children) {
    const matched = matchRoute(child, labels);
    if (!matched) continue;
    found.push(...matched);
    if (!child.continue) break;
  }
  return found.length > 0 ? found : [route];
}

/** Returns the values of the group_by labels the alert has. `...` takes every label. */
export function groupLabelsOf(groupBy: readonly string[], labels: Readonly<Record<string, string>>): Record<string, string> {
  const names = groupBy.includes('...') ? Object.keys(labels) : groupBy;
  const result: Record<string, string> = {};
  for (const name of [...names].sort()) {
    const value = labels[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** `{alertname="HighCPU",region="eu"}`, keys sorted, values JSON-quoted. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(',')}}`;
}

export function hashGroupKey(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex').slice(0, 20);
}
