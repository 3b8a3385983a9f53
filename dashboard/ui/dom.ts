import { domBuilder } from '../client/dom.js';

/** `h` creates HTML elements and `svg` creates SVG elements. Both reject the unsafe attributes and elements listed in client/dom.ts. */
export const { h, svg } = domBuilder<Element>(document);

export { setText } from '../client/dom.js';

/** Returns the first element under `root` that matches `selector`. Throws when there is none, because then the markup and the code disagree. */
export function required<E extends Element>(root: ParentNode, selector: string): E {
  const element = root.querySelector<E>(selector);
  if (!element) throw new Error(`the dashboard page has no element ${selector}`);
  return element;
}
