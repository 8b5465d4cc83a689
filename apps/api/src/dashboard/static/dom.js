// Builds DOM nodes from data. Strings only ever become text nodes or attribute values, never markup:
// fleet data (ids, labels, messages) is operator input and must not be parsed as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class')
      node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'on') for (const [type, handler] of Object.entries(value)) node.addEventListener(type, handler);
    else if (key === 'data')
      for (const [name, v] of Object.entries(value)) {
        if (v !== undefined && v !== null) node.dataset[name] = String(v);
      }
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** h('a', {href, class, text, data: {guest}, on: {click}}, ...children) */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);

/** The same for SVG elements. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

/** Replaces a node's children, skipping null/undefined/false (optional parts of a view). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** A link inside the page (hash route); ids are encoded so any id is a safe path segment. */
export const route = (...parts) => `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;

/** Calls fn at most once per `wait` ms after the last call, but at least every `maxWait` ms. */
export function debounce(fn, wait, maxWait = wait * 6) {
  let timer;
  let first = 0;
  return (...args) => {
    const now = performance.now();
    if (!timer) first = now;
    clearTimeout(timer);
    const delay = Math.max(0, Math.min(wait, first + maxWait - now));
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, delay);
  };
}
