// linkbox.js — a single-use link the server has just made (an invitation, a sign-in reset),
// shown once to be copied and handed over. The server keeps only a hash of the token: once this
// box is gone the link cannot be shown again, only a new one made. So the box says so, and
// stays until the administrator closes it or makes another.
import {h, field} from './dom.js';
import {message, time} from './ui.js';

// A card holding URL (selected, with a Copy button) after the LEAD text (strings or nodes) and
// before NOTES (more paragraphs). ID names the link's input for tests and labels.
// EXPIRES_AT is the RFC 3339 time the link stops working. onClose() removes the card.
export function linkBox({lead, url, expiresAt, notes = [], id = 'one-time-link', label = 'Link', onClose}) {
  const input = h('input', {type: 'text', readonly: true, value: url, class: 'mono wide', id,
    spellcheck: 'false'});
  const copied = h('span', {class: 'hint', 'aria-live': 'polite'});
  const copy = h('button', {type: 'button', class: 'secondary'}, 'Copy link');
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      copied.textContent = 'Copied.';
    } catch {
      // No clipboard permission: the text is selected for the person to copy themselves.
      copied.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
    }
  });
  const close = onClose
    ? h('button', {type: 'button', class: 'link-button', onclick: onClose}, 'Done: hide the link') : null;
  const card = h('div', {class: 'card linkbox', role: 'region', 'aria-label': label},
    message('ok', ...[lead].flat()),
    field(label, input),
    h('p', {class: 'hint'}, 'It works once and expires ', time(expiresAt),
      '. It is shown only now: coffer keeps no copy it could show again.'),
    notes.map((n) => h('p', {}, n)),
    h('div', {class: 'actions'}, copy, copied, close));
  // Selected at once, so that Ctrl+C is all it takes.
  queueMicrotask(() => { if (card.isConnected) { input.focus(); input.select(); } });
  return card;
}
