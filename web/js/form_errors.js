// form_errors.js — a form's per-field messages: each control wrapped with a place for its
// error, marked aria-invalid (and tied to the message) while it is wrong, so that a mistake is
// shown next to its field and read out with it.
import {h, field} from './dom.js';

export function formErrors() {
  const errors = new Map(); // control → its error element
  const bad = [];
  return {
    bad, // the controls that failed since the last reset, in order
    // field(LABEL, CONTROL, HINT) with a place for CONTROL's error.
    wrap(label, control, hint) {
      const f = field(label, control, hint);
      const e = h('p', {class: 'field-error', id: `${control.id}-err`});
      errors.set(control, e);
      f.append(e);
      return f;
    },
    fail(control, text) {
      const e = errors.get(control);
      e.textContent = text;
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-errormessage', e.id);
      bad.push(control);
    },
    reset() {
      for (const [control, e] of errors) {
        e.textContent = '';
        control.removeAttribute('aria-invalid');
      }
      bad.length = 0;
    },
  };
}

// A checkbox CONTROL with its LABEL after it, and an optional HINT beneath.
export function check(label, control, hint) {
  control.id = control.id || `c${Math.random().toString(36).slice(2)}`;
  return h('div', {class: 'check'}, control, h('label', {for: control.id}, label), hint ? h('p', {class: 'hint'}, hint) : null);
}

// The field a 400 invalid_input names ("field 'login.allowed_cidrs': …", docs/API.md), as
// {name: 'login.allowed_cidrs', text: '…'} (a list index left out), or null.
export function serverField(err) {
  if (!err || err.code !== 'invalid_input') return null;
  const m = /^field '([^']+)': (.*)$/s.exec(err.message || '');
  if (!m) return null;
  const text = m[2].charAt(0).toUpperCase() + m[2].slice(1);
  return {name: m[1].replace(/\[[0-9]+\]/g, ''), text: /[.!?]$/.test(text) ? text : `${text}.`};
}
