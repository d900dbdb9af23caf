// rules.js — the password rules shown and checked as one types (invitation, password change).
//
// The page can check only what it knows before the server does: coffer's floor of 12 characters
// (counted as the server counts them, in Unicode code points), its ceiling of 128 for a new password, and that the
// two copies match. An organisation's policy may ask for more (a longer minimum, punctuation),
// and the common and breached lists live on the server: those answers come back as the server's
// message, which names every rule broken, and are shown as it gives them.
import {h} from './dom.js';

export const MIN_FLOOR = 12;
export const MAX_CHARS = 128;
const PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

const chars = (s) => [...s].length;

// RULES: {min_length, require_punctuation, reject_common} when known (else coffer's defaults).
// Returns {el, check(): boolean} watching the two inputs.
export function passwordRules(input, confirm, rules = {}) {
  const min = Math.max(MIN_FLOOR, rules.min_length || MIN_FLOOR);
  const items = [
    {text: `At least ${min} characters`, ok: (p) => chars(p) >= min},
    {text: `At most ${MAX_CHARS} characters`, ok: (p) => chars(p) <= MAX_CHARS},
  ];
  if (rules.require_punctuation) {
    items.push({text: `At least one punctuation character (${PUNCT})`, ok: (p) => [...p].some((c) => PUNCT.includes(c))});
  }
  items.push({text: 'The two copies match', ok: (p, c) => p.length > 0 && p === c});
  const lis = items.map((it) => {
    const state = h('span', {class: 'visually-hidden'}, 'not yet: ');
    const li = h('li', {class: 'rule'}, state, it.text);
    return {it, li, state};
  });
  const note = h('li', {class: 'rule-note'}, rules.reject_common === false
    ? 'Not a password known from a data breach.'
    : 'Not a commonly used password, nor one known from a data breach.');
  const el = h('ul', {class: 'rules', id: `rules-${Math.random().toString(36).slice(2)}`,
    'aria-label': 'Password rules'}, lis.map((x) => x.li), note);
  const check = () => {
    let all = true;
    for (const {it, li, state} of lis) {
      const ok = it.ok(input.value, confirm.value);
      li.classList.toggle('met', ok);
      state.textContent = ok ? 'met: ' : 'not yet: ';
      all = all && ok;
    }
    return all;
  };
  input.addEventListener('input', check);
  confirm.addEventListener('input', check);
  input.setAttribute('aria-describedby', el.id);
  check();
  return {el, check};
}
