import { parseTagFilter } from '../client/filter.js';
import { countOf, formatBucketRange, formatCompact, metricUnit } from '../client/format.js';
import { axisLabelPositions, cellAt, cellColor, cellQuery, cellRect, type HeatmapGrid, type HeatmapRequest, heatmapQuery, legendCounts, legendFraction, normalizeHeatmap, type PlotArea, scaleColor, stepForRange, timeToX } from '../client/heatmap-data.js';
import { DASHBOARD_METRICS } from '../client/protocol.js';
import { h, setText } from './dom.js';
import { type Session, UnauthorizedError } from './session.js';

const RANGES: Array<[label: string, ms: number]> = [
  ['last 15 minutes', 15 * 60_000],
  ['last hour', 3_600_000],
  ['last 6 hours', 6 * 3_600_000],
  ['last 24 hours', 24 * 3_600_000],
];
const CANVAS_HEIGHT = 360;
const MARGIN = { left: 64, right: 12, top: 18, bottom: 26 };
const OUTLIER_COLOR = 'rgb(230, 60, 60)';
const LEGEND_WIDTH = 240;
const LEGEND_HEIGHT = 24;
const LEGEND_BAR_HEIGHT = 10;
const LABEL_COLOR = 'rgb(170, 176, 190)';

/**
 * Heatmap view of a metric's sample counts per time column and logarithmic
 * value bucket, from GET /v1/heatmap. It draws them on a canvas with the
 * outlier alerts marked above the plot. Clicking a cell lists its agents from
 * GET /v1/heatmap/cell, and clicking an agent shows it in the agent list.
 */
export class HeatmapView {
  readonly element: HTMLElement;
  private readonly metric: HTMLSelectElement;
  private readonly filter: HTMLInputElement;
  private readonly range: HTMLSelectElement;
  private readonly status: Element;
  private readonly canvas: HTMLCanvasElement;
  private readonly legend: HTMLElement;
  private readonly legendScale: HTMLCanvasElement;
  private readonly details: HTMLElement;
  private grid: HeatmapGrid | undefined;
  private request: HeatmapRequest | undefined;
  private selected: { column: number; position: number } | undefined;
  private loading = 0;
  private cellLoading = 0;

  constructor(
    private readonly session: Session,
    private readonly onUnauthorized: (error: UnauthorizedError) => void,
    private readonly onSelectAgent: (agentId: string) => void,
  ) {
    this.metric = h('select', { name: 'metric', 'aria-label': 'metric' }, DASHBOARD_METRICS.map((metric) => h('option', { value: metric }, [metric]))) as HTMLSelectElement;
    this.filter = h('input', { type: 'text', name: 'heatmap-filter', placeholder: 'tag filter, such as env=prod', 'aria-label': 'heatmap tag filter', autocomplete: 'off' }) as HTMLInputElement;
    this.range = h('select', { name: 'range', 'aria-label': 'time range' }, RANGES.map(([label, ms]) => h('option', { value: ms }, [label]))) as HTMLSelectElement;
    this.metric.value = 'latency_ms';
    this.range.value = String(3_600_000);
    const refresh = h('button', { type: 'submit' }, ['Show']);
    const controls = h('form', { class: 'heatmap-controls' }, [this.metric, this.range, this.filter, refresh]);
    controls.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.load();
    });
    this.metric.addEventListener('change', () => void this.load());
    this.range.addEventListener('change', () => void this.load());

    this.status = h('p', { class: 'heatmap-status', role: 'status' });
    this.canvas = h('canvas', { class: 'heatmap-canvas', height: CANVAS_HEIGHT, 'aria-label': 'heatmap' }) as HTMLCanvasElement;
    this.canvas.addEventListener('click', (event) => void this.select(event));
    this.legendScale = h('canvas', { class: 'heatmap-legend-scale', width: LEGEND_WIDTH, height: LEGEND_HEIGHT, role: 'img' }) as HTMLCanvasElement;
    this.legend = h('div', { class: 'heatmap-legend', hidden: true }, [h('span', {}, ['samples per cell (log scale)']), this.legendScale]) as HTMLElement;
    this.details = h('div', { class: 'heatmap-details' }) as HTMLElement;
    this.element = h('section', { class: 'heatmap-view', 'aria-label': 'heatmap' }, [controls, this.status, this.canvas, this.legend, this.details]) as HTMLElement;
    window.addEventListener('resize', () => this.draw());
  }

  /** Loads the heatmap for the current controls and draws it. */
  async load(): Promise<void> {
    const parsed = parseTagFilter(this.filter.value);
    if (parsed.errors.length > 0 || parsed.matchers.some((matcher) => matcher.negated || matcher.value.includes('*'))) {
      setText(this.status, `The heatmap filter accepts only exact key=value terms: ${parsed.errors[0] ?? '!= and * are not supported here'}`);
      return;
    }
    const rangeMs = Number(this.range.value);
    const step = stepForRange(rangeMs);
    const to = Math.ceil(Date.now() / step) * step;
    const request: HeatmapRequest = { metric: this.metric.value, from: to - rangeMs, to, step, tags: parsed.matchers };

    const loading = ++this.loading;
    setText(this.status, 'Loading…');
    try {
      const grid = normalizeHeatmap(await this.session.getJson(`/v1/heatmap?${heatmapQuery(request)}`));
      if (loading !== this.loading) return;
      this.grid = grid;
      this.request = request;
      this.selected = undefined;
      const total = grid.counts.reduce((sum, count) => sum + count, 0);
      const sizes = `${countOf(grid.times.length, 'column')} of ${Math.round(step / 1_000)} s, ${countOf(grid.buckets.length, 'bucket')}, ${countOf(grid.outliers.length, 'outlier alert')}`;
      setText(this.status, `${grid.metric || this.metric.value}: ${countOf(total, 'sample')} in ${sizes}`);
      this.cellLoading += 1;
      this.details.replaceChildren();
      this.draw();
    } catch (error) {
      if (loading !== this.loading) return;
      if (error instanceof UnauthorizedError) this.onUnauthorized(error);
      setText(this.status, `The heatmap could not be loaded: ${(error as Error).message}`);
    }
  }

  /** Draws the loaded grid at the canvas's current width. */
  draw(): void {
    const grid = this.grid;
    const width = this.canvas.clientWidth;
    if (!grid || width === 0) return;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(CANVAS_HEIGHT * ratio);
    const context = this.canvas.getContext('2d');
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, CANVAS_HEIGHT);

    const area = this.area(width);
    context.fillStyle = 'rgb(24, 26, 32)';
    context.fillRect(area.left, area.top, area.width, area.height);

    grid.times.forEach((_, column) => {
      grid.buckets.forEach((_, position) => {
        const color = cellColor(grid.counts[column * grid.buckets.length + position] ?? 0, grid.max);
        if (!color) return;
        const rect = cellRect(area, grid, column, position);
        context.fillStyle = color;
        context.fillRect(rect.x, rect.y, Math.ceil(rect.width), Math.ceil(rect.height));
      });
    });

    this.drawAxes(context, area, grid);
    this.drawOutliers(context, area, grid);
    this.drawLegend(grid.max);

    if (this.selected) {
      const rect = cellRect(area, grid, this.selected.column, this.selected.position);
      context.strokeStyle = 'white';
      context.lineWidth = 2;
      context.strokeRect(rect.x + 1, rect.y + 1, rect.width - 2, rect.height - 2);
    }
  }

  private area(width: number): PlotArea {
    return { left: MARGIN.left, top: MARGIN.top, width: Math.max(1, width - MARGIN.left - MARGIN.right), height: CANVAS_HEIGHT - MARGIN.top - MARGIN.bottom };
  }

  private drawAxes(context: CanvasRenderingContext2D, area: PlotArea, grid: HeatmapGrid): void {
    context.fillStyle = LABEL_COLOR;
    context.font = '11px system-ui, sans-serif';

    // Draws the axis title, which names the unit of the bucket bounds, above the value labels.
    context.textAlign = 'left';
    context.textBaseline = 'middle';
    const unit = metricUnit(grid.metric || this.metric.value);
    context.fillText(unit ? `value (${unit})` : 'value', 4, area.top - 10);

    context.textAlign = 'right';
    for (const position of axisLabelPositions(grid.buckets.length)) {
      const rect = cellRect(area, grid, 0, position);
      context.fillText(`< ${formatCompact(grid.buckets[position]!.upper)}`, area.left - 6, rect.y + rect.height / 2);
    }

    context.textAlign = 'center';
    context.textBaseline = 'top';
    const timeEvery = Math.max(1, Math.ceil(grid.times.length / 6));
    grid.times.forEach((time, column) => {
      if (column % timeEvery !== 0) return;
      const rect = cellRect(area, grid, column, 0);
      const label = new Date(time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      context.fillText(label, rect.x + rect.width / 2, area.top + area.height + 6);
    });
  }

  /** Draws the colour scale of the counts, from 1 to the fullest cell, under the plot. The legend is hidden for an empty heatmap. */
  private drawLegend(max: number): void {
    const counts = legendCounts(max);
    this.legend.hidden = counts.length === 0;
    this.legendScale.setAttribute('aria-label', `colour scale from ${countOf(1, 'sample')} to ${countOf(max, 'sample')} per cell`);
    const context = this.legendScale.getContext('2d');
    if (!context || counts.length === 0) return;

    const ratio = window.devicePixelRatio || 1;
    this.legendScale.width = Math.round(LEGEND_WIDTH * ratio);
    this.legendScale.height = Math.round(LEGEND_HEIGHT * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, LEGEND_WIDTH, LEGEND_HEIGHT);
    for (let x = 0; x < LEGEND_WIDTH; x++) {
      context.fillStyle = scaleColor(x / (LEGEND_WIDTH - 1));
      context.fillRect(x, 0, 1, LEGEND_BAR_HEIGHT);
    }

    context.fillStyle = LABEL_COLOR;
    context.font = '11px system-ui, sans-serif';
    context.textBaseline = 'top';
    counts.forEach((count) => {
      const x = legendFraction(count, max) * LEGEND_WIDTH;
      context.textAlign = legendLabelAlign(x);
      context.fillText(formatCompact(count), x, LEGEND_BAR_HEIGHT + 2);
    });
  }

  private drawOutliers(context: CanvasRenderingContext2D, area: PlotArea, grid: HeatmapGrid): void {
    context.fillStyle = OUTLIER_COLOR;
    context.strokeStyle = 'rgba(230, 60, 60, 0.35)';
    context.lineWidth = 1;
    for (const mark of grid.outliers) {
      const x = timeToX(area, grid, mark.ts);
      if (x < area.left || x > area.left + area.width) continue;
      context.beginPath();
      context.moveTo(x - 4, area.top - 10);
      context.lineTo(x + 4, area.top - 10);
      context.lineTo(x, area.top - 3);
      context.closePath();
      context.fill();
      context.beginPath();
      context.moveTo(x, area.top);
      context.lineTo(x, area.top + area.height);
      context.stroke();
    }
  }

  private async select(event: MouseEvent): Promise<void> {
    const grid = this.grid;
    if (!grid) return;
    const bounds = this.canvas.getBoundingClientRect();
    const x = event.clientX - bounds.left;
    const y = event.clientY - bounds.top;
    const area = this.area(bounds.width);

    if (y < area.top) {
      this.showOutliers(grid, area, x);
      return;
    }
    const cell = cellAt(area, grid, x, y);
    if (!cell) return;
    this.selected = cell;
    this.draw();

    const time = grid.times[cell.column]!;
    const bucket = grid.buckets[cell.position]!;
    const count = grid.counts[cell.column * grid.buckets.length + cell.position] ?? 0;
    const range = formatBucketRange(bucket, metricUnit(grid.metric || this.request?.metric || ''));
    const title = `${new Date(time).toLocaleTimeString()}, ${range}: ${countOf(count, 'sample')}`;
    // A later click or load makes this response stale, so it must not replace the newer details.
    const cellLoading = ++this.cellLoading;
    if (count === 0) {
      this.details.replaceChildren(h('h3', {}, [title]), h('p', {}, ['No samples in this cell.']));
      return;
    }

    this.details.replaceChildren(h('h3', {}, [title]), h('p', {}, ['Loading agents…']));
    try {
      const body = (await this.session.getJson(`/v1/heatmap/cell?${cellQuery(this.request!, time, bucket.index)}`)) as { agents?: Array<{ agentId: string; count: number }> };
      if (cellLoading !== this.cellLoading) return;
      const agents = Array.isArray(body.agents) ? body.agents : [];
      this.details.replaceChildren(h('h3', {}, [title]), h('ul', { class: 'cell-agents' }, agents.map((agent) => this.agentItem(String(agent.agentId), countOf(agent.count, 'sample')))));
    } catch (error) {
      if (cellLoading !== this.cellLoading) return;
      if (error instanceof UnauthorizedError) this.onUnauthorized(error);
      this.details.replaceChildren(h('h3', {}, [title]), h('p', {}, [`The cell's agents could not be loaded: ${(error as Error).message}`]));
    }
  }

  private showOutliers(grid: HeatmapGrid, area: PlotArea, x: number): void {
    const near = grid.outliers.filter((mark) => Math.abs(timeToX(area, grid, mark.ts) - x) <= 6);
    if (near.length === 0) return;
    this.cellLoading += 1;
    this.details.replaceChildren(
      h('h3', {}, [countOf(near.length, 'outlier alert')]),
      h('ul', { class: 'cell-agents' }, near.map((mark) => this.agentItem(mark.agentId, `${mark.rule} at ${new Date(mark.ts).toLocaleTimeString()}, value ${formatCompact(mark.value)}`))),
    );
  }

  private agentItem(agentId: string, note: string): Element {
    const button = h('button', { type: 'button', class: 'cell-agent', title: `show ${agentId} in the agent list` }, [agentId]);
    button.addEventListener('click', () => this.onSelectAgent(agentId));
    return h('li', {}, [button, ' ', h('span', { class: 'cell-note' }, [note])]);
  }
}

/** Returns the text alignment of a legend label at `x`, so that labels at either end stay inside the legend. */
function legendLabelAlign(x: number): CanvasTextAlign {
  if (x >= LEGEND_WIDTH - 1) return 'right';
  if (x <= 0) return 'left';
  return 'center';
}
