/**
 * Input for choosing which rows of a long list of fixed-height rows to
 * render, so that the page keeps a few dozen row elements whatever the
 * fleet's size.
 *
 * Browsers cap an element's height (commonly reported as about 33.5 million pixels in Chromium),
 * so a list taller than `maxScrollHeight` is drawn with a scroll height of
 * `maxScrollHeight`, and the scroll position maps proportionally onto the
 * rows: the top of the scroll range shows the first row and the bottom the
 * last one.
 */
export interface VirtualListInput {
  /** Pixels scrolled from the top of the viewport's content. */
  scrollTop: number;
  /** Visible height of the viewport in pixels. */
  viewportHeight: number;
  rowHeight: number;
  /** Number of rows in the list. */
  count: number;
  /** Extra rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
  overscan?: number;
  /** Maximum scroll height in pixels, 10,000,000 when not given. */
  maxScrollHeight?: number;
}

export interface VirtualListRange {
  /** Index of the first row to render. */
  first: number;
  /** One past the index of the last row to render. It equals `first` for an empty list. */
  end: number;
  /** Pixels from the top of the content at which row `first` is drawn. */
  offsetTop: number;
  /** Height to give the content so that the scroll bar covers the whole list. */
  totalHeight: number;
}

export const DEFAULT_MAX_SCROLL_HEIGHT = 10_000_000;

/**
 * Computes the rows to render for a scroll position.
 *
 * ```ts
 * const range = visibleRange({ scrollTop: 3_600, viewportHeight: 720, rowHeight: 36, count: 10_000, overscan: 5 });
 * // range.first === 95, range.end === 126, range.offsetTop === 3_420
 * ```
 */
export function visibleRange(input: VirtualListInput): VirtualListRange {
  const { rowHeight, count } = input;
  const overscan = input.overscan ?? 0;
  const viewportHeight = Math.max(0, input.viewportHeight);
  const maxScrollHeight = input.maxScrollHeight ?? DEFAULT_MAX_SCROLL_HEIGHT;
  if (!(rowHeight > 0)) throw new RangeError(`rowHeight must be a positive number of pixels, found ${rowHeight}`);
  if (count <= 0) return { first: 0, end: 0, offsetTop: 0, totalHeight: 0 };

  const naturalHeight = count * rowHeight;
  const totalHeight = Math.min(naturalHeight, maxScrollHeight);
  const scrollRange = Math.max(0, totalHeight - viewportHeight);
  const scrollTop = Math.min(Math.max(0, input.scrollTop), scrollRange);

  // Row position, in rows, of the viewport's top edge.
  let topRow: number;
  if (naturalHeight <= maxScrollHeight) {
    topRow = scrollTop / rowHeight;
  } else {
    const rowsInView = viewportHeight / rowHeight;
    const lastTopRow = Math.max(0, count - rowsInView);
    topRow = scrollRange === 0 ? 0 : (scrollTop / scrollRange) * lastTopRow;
  }

  const visibleRows = Math.ceil(viewportHeight / rowHeight) + 1;
  const first = Math.max(0, Math.floor(topRow) - overscan);
  const end = Math.min(count, Math.floor(topRow) + visibleRows + overscan);
  // Rows are drawn relative to the viewport's top edge, which keeps scaled lists aligned too.
  const offsetTop = scrollTop - (topRow - first) * rowHeight;
  return { first, end, offsetTop, totalHeight };
}
