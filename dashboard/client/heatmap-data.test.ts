import t from 'tap';
import { alignedTimes, axisLabelPositions, cellAt, cellColor, cellQuery, cellRect, HeatmapFormatError, heatmapQuery, legendCounts, legendFraction, normalizeHeatmap, scaleColor, stepForRange, timeToX } from './heatmap-data.js';

const FROM = Date.parse('2026-01-01T00:00:00Z');

/** Builds a `latency_ms` heatmap response that starts at FROM with one-minute columns. */
function latencyResponse(fields: Record<string, unknown>): Record<string, unknown> {
  return { metric: 'latency_ms', from: FROM, step: 60_000, ...fields };
}

t.test('normalizeHeatmap reads cells as objects', async (t) => {
  const grid = normalizeHeatmap({
    metric: 'latency_ms',
    from: FROM + 30_000,
    to: FROM + 180_000,
    step: 60_000,
    buckets: [
      { index: -30, lower: null, upper: 0.00126 },
      { index: -29, lower: 0.00126, upper: 0.00158 },
    ],
    cells: [
      { time: FROM, bucket: -30, count: 3 },
      { time: FROM + 120_000, bucket: -29, count: 7 },
    ],
    total: 10,
    outliers: [{ ts: FROM + 90_000, agentId: 'web-1', value: 4.2, rule: 'LatencyOutlier' }],
  });
  t.same(grid.times, [FROM, FROM + 60_000, FROM + 120_000], 'columns start at multiples of step');
  t.same(grid.counts, [3, 0, 0, 0, 0, 7]);
  t.equal(grid.max, 7);
  t.same(grid.buckets.map((bucket) => bucket.index), [-30, -29]);
  t.same(grid.outliers, [{ ts: FROM + 90_000, agentId: 'web-1', value: 4.2, rule: 'LatencyOutlier' }]);
});

t.test('normalizeHeatmap reads cells as triples', async (t) => {
  const grid = normalizeHeatmap(latencyResponse({
    to: FROM + 120_000,
    times: [FROM, FROM + 60_000],
    buckets: [{ lower: null, upper: 1 }, { lower: 1, upper: 10 }, { lower: 10, upper: 100 }],
    cells: [[0, 2, 5], [1, 0, 1], [9, 9, 9]],
  }));
  t.same(grid.counts, [0, 0, 5, 1, 0, 0], 'cells outside the grid are skipped');
  t.same(grid.buckets.map((bucket) => bucket.index), [0, 1, 2], 'positions replace missing ladder indexes');
  t.same(grid.outliers, []);
});

t.test('normalizeHeatmap names the field it cannot read', async (t) => {
  t.throws(() => normalizeHeatmap([]), new HeatmapFormatError('the body', 'is not an object'));
  t.throws(() => normalizeHeatmap({ from: 0, to: 1, step: 0 }), { message: 'the heatmap response is not usable: step must be positive, found 0' });
  t.throws(() => normalizeHeatmap({ from: 0, to: 10, step: 5, buckets: [{ upper: 'x' }] }), { message: 'the heatmap response is not usable: buckets[0].upper must be a number, found "x"' });
});

t.test('heatmap geometry maps cells and pixels both ways', async (t) => {
  const area = { left: 50, top: 10, width: 300, height: 100 };
  const grid = { times: alignedTimes(0, 180_000, 60_000), buckets: [0, 1, 2, 3].map((index) => ({ index, lower: null, upper: 1 })), step: 60_000 };
  t.same(cellRect(area, grid, 0, 0), { x: 50, y: 85, width: 100, height: 25 }, 'the lowest bucket is at the bottom');
  t.same(cellRect(area, grid, 2, 3), { x: 250, y: 10, width: 100, height: 25 });
  t.same(cellAt(area, grid, 60, 100), { column: 0, position: 0 });
  t.same(cellAt(area, grid, 349.9, 10), { column: 2, position: 3 });
  t.equal(cellAt(area, grid, 49, 50), undefined, 'left of the plot');
  t.equal(cellAt(area, grid, 100, 110), undefined, 'below the plot');
  t.equal(timeToX(area, grid, 90_000), 200);
});

t.test('cellColor grows with the count on a log scale', async (t) => {
  t.equal(cellColor(0, 10), undefined, 'empty cells are not drawn');
  t.equal(cellColor(1, 1), 'rgb(250, 220, 60)', 'the fullest cell is the brightest');
  t.equal(cellColor(1, 1000), 'rgb(30, 40, 90)');
  t.not(cellColor(10, 1000), cellColor(100, 1000));
});

t.test('stepForRange keeps columns within the maximum', async (t) => {
  t.equal(stepForRange(15 * 60_000), 10_000);
  t.equal(stepForRange(3_600_000), 30_000);
  t.equal(stepForRange(86_400_000), 900_000);
  t.equal(stepForRange(86_400_000, 30), 3_600_000);
});

t.test('heatmapQuery and cellQuery match the heatmap routes', async (t) => {
  const request = { metric: 'latency_ms', from: FROM, to: FROM + 3_600_000, step: 30_000, tags: [{ key: 'env', value: 'prod' }, { key: 'agent', value: 'x' }] };
  t.equal(heatmapQuery(request).toString(), `metric=latency_ms&from=${FROM}&to=${FROM + 3_600_000}&step=30s&filter=tag.env%3Dprod%2Ctag.agent%3Dx`, 'a tag named agent is still a tag');
  t.equal(cellQuery(request, FROM + 60_000, -3).toString(), `metric=latency_ms&step=30s&filter=tag.env%3Dprod%2Ctag.agent%3Dx&time=${FROM + 60_000}&bucket=-3`);
  t.equal(heatmapQuery({ ...request, tags: [], step: 250 }).get('step'), '250ms');
  t.equal(heatmapQuery({ ...request, tags: [] }).has('filter'), false);
});

t.test('normalizeHeatmap pads a narrow value axis', async (t) => {
  const grid = normalizeHeatmap(latencyResponse({
    to: FROM + 60_000,
    bucketsPerDecade: 10,
    min: 0.001,
    buckets: [{ index: 1, lower: 1.2589254117941673, upper: 1.5848931924611136 }],
    cells: [{ time: FROM, bucket: 1, count: 4 }],
  }));
  t.same(grid.buckets.map((bucket) => bucket.index), [-3, -2, -1, 0, 1, 2, 3, 4, 5, 6], 'four buckets below, five above');
  t.equal(grid.counts[4], 4, 'the count moves with its bucket');
  t.equal(grid.counts.reduce((sum, count) => sum + count, 0), 4);

  const low = normalizeHeatmap({ from: FROM, to: FROM + 60_000, step: 60_000, bucketsPerDecade: 10, min: 0.001, buckets: [{ index: -30, lower: null, upper: 0.00126 }], cells: [] });
  t.same(low.buckets.map((bucket) => bucket.index), [-30, -29, -28, -27, -26, -25, -24, -23, -22, -21], 'never below the lowest bucket');
  t.equal(low.buckets[0]!.lower, null);
});

t.test('axisLabelPositions always labels the top row', async (t) => {
  t.same(axisLabelPositions(10), [9, 7, 5, 3, 1], 'every second bucket from the top');
  t.same(axisLabelPositions(8), [7, 6, 5, 4, 3, 2, 1, 0]);
  t.same(axisLabelPositions(17, 8), [16, 13, 10, 7, 4, 1]);
  t.same(axisLabelPositions(1), [0]);
  t.same(axisLabelPositions(0), []);
});

t.test('legendCounts label the count scale', async (t) => {
  t.same(legendCounts(0), [], 'no legend for an empty heatmap');
  t.same(legendCounts(1), [1]);
  t.same(legendCounts(2), [1, 2]);
  t.same(legendCounts(100), [1, 10, 100]);
  t.equal(legendFraction(10, 100), 0.5);
  t.equal(legendFraction(1, 1), 1);
  t.equal(scaleColor(1), cellColor(100, 100), 'the legend ends at the fullest cell colour');
  t.equal(scaleColor(0), cellColor(1, 100), 'the legend starts at a count of 1');
});
