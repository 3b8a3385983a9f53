import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { type DocumentLike, domBuilder, type ElementLike, setText, UnsafeMarkupError } from './dom.js';

/** DOM node that records what the builder does. Like a browser's text node, it parses nothing as markup. */
class FakeNode implements ElementLike {
  readonly attributes = new Map<string, string>();
  readonly children: FakeNode[] = [];
  textContent: string | null;
  constructor(
    readonly kind: 'element' | 'text',
    readonly name: string,
    text: string | null = null,
  ) {
    this.textContent = text;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  appendChild(child: never): unknown {
    this.children.push(child as FakeNode);
    return child;
  }
}

const fakeDocument: DocumentLike<FakeNode> = {
  createElement: (tag) => new FakeNode('element', tag),
  createElementNS: (_namespace, tag) => new FakeNode('element', tag),
  createTextNode: (text) => new FakeNode('text', '#text', text),
};

const HOSTILE = '<img src=x onerror=alert(1)>';

t.test('dom builder puts agent text in text nodes', async (t) => {
  const { h } = domBuilder(fakeDocument);
  const cell = h('span', { class: 'agent-id', title: HOSTILE }, [HOSTILE, 42]);
  t.equal(cell.children.length, 2);
  t.same(cell.children.map((child) => [child.kind, child.textContent]), [['text', HOSTILE], ['text', '42']]);
  t.equal(cell.attributes.get('title'), HOSTILE, 'an attribute value is stored as text');
  t.same(cell.children.filter((child) => child.kind === 'element'), [], 'no element came from the text');
});

t.test('dom builder rejects unsafe attributes and elements', async (t) => {
  const { h, svg } = domBuilder(fakeDocument);
  for (const name of ['onerror', 'onClick', 'style', 'href', 'src', 'srcdoc', 'xlink:href', 'formaction']) {
    t.throws(() => h('span', { [name]: 'x' }), UnsafeMarkupError, name);
  }
  t.throws(() => svg('a', {}), new UnsafeMarkupError('the dashboard does not create <a> elements'));
  t.throws(() => h('script'), UnsafeMarkupError);
  t.throws(() => h('img'), UnsafeMarkupError);
});

t.test('dom builder skips empty children and false attributes', async (t) => {
  const { h } = domBuilder(fakeDocument);
  const input = h('input', { required: true, disabled: false, placeholder: undefined }, [null, undefined, false, '']);
  t.same([...input.attributes], [['required', '']]);
  t.same(input.children.map((child) => child.textContent), ['']);
});

t.test('setText replaces text without markup', async (t) => {
  const node = new FakeNode('element', 'span');
  setText(node, HOSTILE);
  t.equal(node.textContent, HOSTILE);
});

t.test('dashboard sources never assign markup', async (t) => {
  const folders = ['.', '../ui'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  const forbidden = /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/;
  let checked = 0;
  for (const folder of folders) {
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))) {
      // Comments are stripped first because they may name the APIs that the code avoids.
      const source = readFileSync(join(folder, name), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      t.notOk(forbidden.test(source), `${name} builds no markup from strings`);
      checked += 1;
    }
  }
  t.ok(checked >= 10, 'the page sources were found');
});
