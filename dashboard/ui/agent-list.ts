import type { AgentFilter } from '../client/filter.js';
import type { ClientAgent, FleetModel } from '../client/fleet-model.js';
import { formatAge, formatDuration, formatMetric } from '../client/format.js';
import { DASHBOARD_METRICS } from '../client/protocol.js';
import { orderTags } from '../client/tag-order.js';
import { visibleRange } from '../client/virtual-list.js';
import { h, setText, svg } from './dom.js';

/** Row height in CSS pixels, which must match `--row-height` in dashboard.css. */
export const ROW_HEIGHT = 36;
const OVERSCAN = 8;
const SPARKLINE_WIDTH = 72;
const SPARKLINE_HEIGHT = 18;
const TAGS_SHOWN = 4;

interface MetricCell {
  value: Element;
  line: Element;
}

interface Row {
  element: HTMLElement;
  status: Element;
  id: Element;
  age: Element;
  tags: Element;
  metrics: MetricCell[];
  agent: ClientAgent | undefined;
  rev: number;
}

/**
 * The agent table: a viewport that scrolls a spacer as tall as the whole
 * list, and a pool of row elements, one per visible row, that are refilled
 * as the user scrolls. Only the visible rows exist in the DOM, so the number
 * of row elements depends on the viewport height, not on the fleet size.
 * Scrolling and filter changes call `requestRender` instead of drawing, so
 * the owner can draw at most once per animation frame.
 */
export class AgentList {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rowsLayer: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly rows: Row[] = [];
  private filter: AgentFilter = { search: '', tags: [], statuses: new Set() };
  private matchingCount = 0;

  constructor(
    private readonly model: FleetModel,
    private readonly requestRender: () => void,
  ) {
    this.rowsLayer = h('div', { class: 'agent-rows' }) as HTMLElement;
    this.spacer = h('div', { class: 'agent-spacer' }, [this.rowsLayer]) as HTMLElement;
    this.viewport = h('div', { class: 'agent-viewport', tabindex: 0 }, [this.spacer]) as HTMLElement;
    this.empty = h('p', { class: 'agent-empty', hidden: true }, ['No agent matches the filter.']) as HTMLElement;
    const header = h('div', { class: 'agent-row agent-header', role: 'row' }, [
      h('span', {}, ['status']),
      h('span', {}, ['agent']),
      h('span', {}, ['last seen']),
      h('span', {}, ['tags']),
      h('span', {}, ['cpu']),
      h('span', {}, ['memory']),
      h('span', {}, ['disk']),
      h('span', {}, ['latency']),
    ]);
    // On a narrow page the rows scroll sideways inside the viewport, and the header follows them without a scrollbar of its own.
    const headerFrame = h('div', { class: 'agent-header-frame' }, [header]) as HTMLElement;
    this.element = h('section', { class: 'agent-list', 'aria-label': 'agents' }, [headerFrame, this.empty, this.viewport]) as HTMLElement;
    this.viewport.addEventListener(
      'scroll',
      () => {
        headerFrame.scrollLeft = this.viewport.scrollLeft;
        this.requestRender();
      },
      { passive: true },
    );
  }

  setFilter(filter: AgentFilter): void {
    this.filter = filter;
    this.viewport.scrollTop = 0;
    this.requestRender();
  }

  /** Number of agents that passed the filter at the last render. */
  get matching(): number {
    return this.matchingCount;
  }

  /** Draws the visible rows. It is cheap enough to call on every animation frame that has changes. */
  render(): void {
    const agents = this.model.select(this.filter);
    this.matchingCount = agents.length;
    this.empty.hidden = agents.length > 0 || this.model.agents.size === 0;
    const range = visibleRange({
      scrollTop: this.viewport.scrollTop,
      viewportHeight: this.viewport.clientHeight,
      rowHeight: ROW_HEIGHT,
      count: agents.length,
      overscan: OVERSCAN,
    });
    this.spacer.style.height = `${range.totalHeight}px`;
    this.rowsLayer.style.transform = `translateY(${range.offsetTop}px)`;

    const needed = range.end - range.first;
    while (this.rows.length < needed) this.rows.push(this.createRow());
    const now = this.model.serverNow(Date.now());
    this.rows.forEach((row, i) => {
      const agent = i < needed ? agents[range.first + i] : undefined;
      row.element.hidden = agent === undefined;
      if (!agent) {
        row.agent = undefined;
        return;
      }
      if (row.agent !== agent || row.rev !== agent.rev) this.fill(row, agent);
      setText(row.age, formatAge(now - agent.lastSeen));
    });
  }

  /** Updates the ticking last-seen ages of the visible rows. */
  tick(): void {
    const now = this.model.serverNow(Date.now());
    for (const row of this.rows) {
      if (row.agent) setText(row.age, formatAge(now - row.agent.lastSeen));
    }
  }

  private createRow(): Row {
    const metrics: MetricCell[] = [];
    const metricCells: Element[] = [];
    for (let i = 0; i < DASHBOARD_METRICS.length; i++) {
      const line = svg('polyline', { class: 'sparkline-line', points: '' });
      const chart = svg('svg', { class: 'sparkline', width: SPARKLINE_WIDTH, height: SPARKLINE_HEIGHT, viewBox: `0 0 ${SPARKLINE_WIDTH} ${SPARKLINE_HEIGHT}`, 'aria-hidden': 'true' }, [line]);
      const value = h('span', { class: 'metric-value' });
      metrics.push({ value, line });
      metricCells.push(h('span', { class: 'metric' }, [value, chart]));
    }

    const status = h('span', { class: 'status' });
    const id = h('span', { class: 'agent-id' });
    const age = h('span', { class: 'agent-age' });
    const tags = h('span', { class: 'agent-tags' });
    const element = h('div', { class: 'agent-row', role: 'row' }, [h('span', {}, [status]), id, age, tags, ...metricCells]) as HTMLElement;
    this.rowsLayer.appendChild(element);
    return { element, status, id, age, tags, metrics, agent: undefined, rev: -1 };
  }

  private fill(row: Row, agent: ClientAgent): void {
    row.agent = agent;
    row.rev = agent.rev;
    row.element.dataset.status = agent.status;
    row.status.className = `status status-${agent.status}`;
    setText(row.status, agent.status);
    row.status.setAttribute('title', `report interval ${formatDuration(agent.intervalMs)}; silent after ${formatDuration(agent.silentAfterMs)}`);
    setText(row.id, agent.id);
    row.id.setAttribute('title', agent.id);

    const entries = orderTags(agent.tags);
    row.tags.replaceChildren(
      ...entries.slice(0, TAGS_SHOWN).map(([key, value]) => h('span', { class: 'tag' }, [`${key}=${value}`])),
      ...(entries.length > TAGS_SHOWN ? [h('span', { class: 'tag tag-more' }, [`+${entries.length - TAGS_SHOWN}`])] : []),
    );
    row.tags.setAttribute('title', entries.map(([key, value]) => `${key}=${value}`).join('\n'));

    DASHBOARD_METRICS.forEach((metric, index) => {
      const cell = row.metrics[index]!;
      setText(cell.value, formatMetric(metric, agent.values[index]));
      cell.line.setAttribute('points', sparklinePoints(agent.sparklines[index] ?? [], metric === 'latency_ms' ? undefined : 100));
    });
  }
}

/**
 * Builds the points of a sparkline's polyline: percentages on a fixed 0..100
 * scale, latency from 0 to a quarter above its own maximum. A single value
 * is drawn as a short dash at the right end.
 */
function sparklinePoints(values: readonly number[], fixedMax: number | undefined): string {
  if (values.length === 0) return '';
  const max = fixedMax ?? Math.max(...values, 1e-9) * 1.25;
  const inset = 1;
  const y = (value: number): string => (SPARKLINE_HEIGHT - inset - (Math.min(Math.max(value, 0), max) / max) * (SPARKLINE_HEIGHT - 2 * inset)).toFixed(1);
  if (values.length === 1) return `${SPARKLINE_WIDTH - 6},${y(values[0]!)} ${SPARKLINE_WIDTH},${y(values[0]!)}`;
  const stepX = SPARKLINE_WIDTH / (values.length - 1);
  return values.map((value, i) => `${(i * stepX).toFixed(1)},${y(value)}`).join(' ');
}
