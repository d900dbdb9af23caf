// dom.js — building the page from data without ever parsing data as HTML.
//
// Every text goes in through textContent (text nodes), every attribute through setAttribute
// with a name written in our code, and event handlers are functions, never strings. There is no
// innerHTML anywhere in the application: a record titled <img src=x onerror=alert(1)> is shown
// as those characters.

// h('button', {class: 'primary', onclick: fn}, 'Save') → <button class="primary">Save</button>.
// Attributes: false/null/undefined are left out, true sets an empty attribute, functions under
// on* names become listeners. Children: strings and numbers become text nodes, arrays are
// flattened, null/false are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`${name} must be a function`);
      el.addEventListener(name.slice(2), value);
    } else if (name === 'value' && 'value' in el) {
      el.value = String(value);
    } else if (name === 'checked' || name === 'selected') {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

// Appends CHILDREN (as h takes them) to EL.
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Replaces EL's content with CHILDREN.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A labelled form control: <div class="field"><label for=ID>LABEL</label>CONTROL<p hint></div>.
// The hint is tied to the control with aria-describedby.
let fieldSeq = 0;
export function field(label, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const parts = [h('label', {for: id}, label), control];
  if (hint) {
    const hintEl = hint instanceof Node ? hint : h('p', {class: 'hint'}, hint);
    hintEl.id = hintEl.id || `${id}-hint`;
    control.setAttribute('aria-describedby', hintEl.id);
    parts.push(hintEl);
  }
  return h('div', {class: 'field'}, parts);
}

// A checkbox with its label after it.
export function checkbox(label, attrs) {
  const box = h('input', {type: 'checkbox', ...attrs});
  box.id = box.id || `f${++fieldSeq}`;
  return h('div', {class: 'check'}, box, h('label', {for: box.id}, label));
}

// The QR code of an enrolment, from the SVG text the server sends. The CSP allows no data: URL
// for an <img>, so the SVG is parsed and rebuilt element by element: only the few element and
// attribute names a QR code needs are copied, so nothing active (script, handlers, links) can
// come through even if the text were not what we expect. Returns null when it is not an SVG.
const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_ELEMENTS = new Set(['svg', 'rect', 'path', 'g']);
const SVG_ATTRIBUTES = new Set(['viewBox', 'width', 'height', 'x', 'y', 'fill', 'd',
  'shape-rendering']);
export function svgFromText(text) {
  const doc = new DOMParser().parseFromString(String(text), 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg') return null;
  const copy = (src) => {
    if (!SVG_ELEMENTS.has(src.localName) || src.namespaceURI !== SVG_NS) return null;
    const el = document.createElementNS(SVG_NS, src.localName);
    for (const a of src.attributes) {
      if (SVG_ATTRIBUTES.has(a.name) && !/^\s*(javascript|data):/i.test(a.value)) {
        el.setAttribute(a.name, a.value);
      }
    }
    for (const child of src.children) {
      const c = copy(child);
      if (c) el.append(c);
    }
    return el;
  };
  return copy(root);
}
