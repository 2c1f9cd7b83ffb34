/**
 * A tiny element builder: the workspace renders plain DOM, no framework.
 * Attributes that are `false`, `null` or `undefined` are left out; `true`
 * sets an empty attribute. Children may be strings, nodes, or nothing.
 */

type AttributeValue = string | number | boolean | null | undefined;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, AttributeValue> = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

function append(parent: Element, ...children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child);
  }
}

/** Replaces an element's contents. */
export function replace(parent: Element, ...children: Array<Child | Child[]>): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let nextId = 0;
/** A page-unique id for label and aria-* references. */
export const uniqueId = (prefix: string) => `${prefix}-${++nextId}`;

/** Saves text as a file through the browser's download. */
export function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the URL is no longer needed once it is read.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
