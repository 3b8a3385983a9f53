/**
 * The one way the page builds DOM. Text, including every string an agent
 * supplies (ids, tags, rule annotations), goes into text nodes, which the
 * browser never parses as markup. Attributes that run script or load a URL
 * are rejected, so no caller can route agent data into one. The page never
 * assigns innerHTML, outerHTML or insertAdjacentHTML, and a unit test checks
 * the sources for them.
 *
 * The types are minimal structural ones, so that this module compiles and
 * is tested without the DOM library. The page passes `document`.
 */
export interface TextLike {
  textContent: string | null;
}

export interface ElementLike extends TextLike {
  setAttribute(name: string, value: string): void;
  appendChild(child: never): unknown;
}

export interface DocumentLike<E extends ElementLike> {
  createElement(tag: string): E;
  createElementNS(namespace: string, tag: string): E;
  createTextNode(text: string): TextLike;
}

export type Child<E> = E | string | number | null | undefined | false;
export type Attributes = Record<string, string | number | boolean | undefined>;

/** Error thrown when code requests an attribute or element that could run script or load a URL. */
export class UnsafeMarkupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeMarkupError';
  }
}

const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';
const FORBIDDEN_ATTRIBUTES = new Set(['style', 'href', 'xlink:href', 'src', 'srcset', 'srcdoc', 'action', 'formaction', 'data', 'poster', 'background']);
const FORBIDDEN_ELEMENTS = new Set(['script', 'iframe', 'object', 'embed', 'link', 'meta', 'base', 'style', 'a', 'img', 'foreignobject']);

/**
 * Returns `h` and `svg`, which create an element with attributes and
 * children. Strings and numbers become text nodes, and `null`, `undefined`
 * and `false` children are skipped. A `false` or `undefined` attribute is
 * left out, and `true` sets it empty.
 *
 * ```ts
 * const { h } = domBuilder(document);
 * row.appendChild(h('span', { class: 'agent-id', title: agent.id }, [agent.id]));
 * ```
 */
export function domBuilder<E extends ElementLike>(document: DocumentLike<E>) {
  const build = (element: E, tag: string, attributes: Attributes, children: ReadonlyArray<Child<E>>): E => {
    for (const [name, value] of Object.entries(attributes)) {
      const lower = name.toLowerCase();
      if (lower.startsWith('on') || FORBIDDEN_ATTRIBUTES.has(lower)) {
        throw new UnsafeMarkupError(`attribute ${JSON.stringify(name)} on <${tag}> could run script or load a URL; set classes and text instead`);
      }
      if (value === undefined || value === false) continue;
      element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      const node = typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child;
      element.appendChild(node as never);
    }
    return element;
  };

  const checkTag = (tag: string): void => {
    if (FORBIDDEN_ELEMENTS.has(tag.toLowerCase())) throw new UnsafeMarkupError(`the dashboard does not create <${tag}> elements`);
  };

  return {
    h(tag: string, attributes: Attributes = {}, children: ReadonlyArray<Child<E>> = []): E {
      checkTag(tag);
      return build(document.createElement(tag), tag, attributes, children);
    },
    svg(tag: string, attributes: Attributes = {}, children: ReadonlyArray<Child<E>> = []): E {
      checkTag(tag);
      return build(document.createElementNS(SVG_NAMESPACE, tag), tag, attributes, children);
    },
  };
}

/** Replaces an element's content with text. It is the one way the page updates the text of elements it already built. */
export function setText(element: TextLike, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
