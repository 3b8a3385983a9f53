import { domBuilder } from '../client/dom.js';

/** `h` creates HTML elements and `svg` SVG elements; see client/dom.ts for what they refuse. */
export const { h, svg } = domBuilder<Element>(document);

export { setText } from '../client/dom.js';

/** Finds an element the page itself created; throws when the markup and the code disagree. */
export function required<E extends Element>(root: ParentNode, selector: string): E {
  const element = root.querySelector<E>(selector);
  if (!element) throw new Error(`the dashboard page has no element ${selector}`);
  return element;
}
