// ui.js — the small pieces every screen uses: headings, messages, badges, times, sizes, the
// confirmation dialog, and turning an API error into words a person can act on.
import {h, replace} from './dom.js';

// The screen's heading; also the document title. It takes the focus after a navigation (see
// app.js) so that screen readers announce the new screen and keyboard users start there.
export function heading(text, ...actions) {
  document.title = `${text} · coffer`;
  const h1 = h('h1', {tabindex: '-1', id: 'screen-title'}, text);
  return actions.length ? h('div', {class: 'screen-head'}, h1, h('div', {class: 'actions'}, actions)) : h1;
}

// A message box. KIND: 'error' (role=alert: read out at once), 'ok', 'info', 'warn'.
export function message(kind, ...content) {
  return h('div', {class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status'}, content);
}

// A region that shows one message at a time; set(kind, ...content) or clear().
export function messageSlot() {
  const el = h('div', {class: 'msg-slot', 'aria-live': 'polite'});
  return {
    el,
    set: (kind, ...content) => { replace(el, message(kind, ...content)); },
    clear: () => { el.replaceChildren(); },
  };
}

export function badge(level) {
  return h('span', {class: `badge level-${level}`, title: `Classification: ${level}`}, level);
}

const timeFmt = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'});
// An RFC 3339 time as a <time> in the reader's own zone, the exact UTC value on hover.
export function time(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, String(iso ?? ''));
  return h('time', {datetime: iso, title: iso}, timeFmt.format(d));
}

export function size(bytes) {
  if (!Number.isFinite(bytes)) return '';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

// When a throttled request may be tried again, in words: "in 8 seconds (at 14:02:31)".
export function retryText(seconds) {
  const s = Math.max(1, Number(seconds) || 1);
  const at = new Date(Date.now() + s * 1000).toLocaleTimeString();
  const span = s < 120 ? `${s} second${s === 1 ? '' : 's'}` : `${Math.ceil(s / 60)} minutes`;
  return `in ${span} (at ${at})`;
}

// The words for an API error ERR; CONTEXT names what was being done ("Saving the record").
export function errorText(err, context) {
  const lead = context ? `${context} failed: ` : '';
  if (!err || typeof err !== 'object' || !('status' in err)) {
    return `${lead}something went wrong in the page (${String(err?.message || err)}).`;
  }
  switch (err.code) {
    case 'throttled':
      return `${lead}too many attempts. Try again ${retryText(err.retryAfter)}.`;
    case 'forbidden':
      return `${lead}you are not allowed to do this. ${err.message}`;
    case 'login_policy':
      // The rules hold on every request: the organisation's, and those its administrators set
      // for this member alone. The session still reaches the user's other organisations.
      return `${lead}${err.message} The rules of an organisation (or those its administrators set for you alone) decide from where and when it may be used, on every request, not only at sign-in. Ask one of its administrators if you need access from here or now.`;
    case 'reauthentication_required':
      // Asked for in a dialog (reauth.js); here only when the person cancelled it.
      return `${lead}this change needs your password again, and it was not confirmed. Nothing was changed.`;
    case 'not_found':
      return `${lead}it no longer exists (it may have been deleted). ${err.message}`;
    case 'network':
      return `${lead}${err.message}`;
    default:
      return `${lead}${err.message}`;
  }
}

// Asks a yes/no question in a modal <dialog>; resolves true when confirmed. The dialog traps
// the focus, Escape cancels, and the focus returns where it was.
export function confirmDialog(title, text, confirmLabel, {danger = true} = {}) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const cancel = h('button', {type: 'button', class: 'secondary', value: 'cancel'}, 'Cancel');
    const ok = h('button', {type: 'button', class: danger ? 'danger' : 'primary', value: 'ok'}, confirmLabel);
    const titleId = `dlg-${Date.now()}`;
    const dlg = h('dialog', {class: 'dialog', 'aria-labelledby': titleId},
      h('h2', {id: titleId}, title), h('p', {}, text), h('div', {class: 'actions'}, cancel, ok));
    let answered = false;
    const finish = (yes) => {
      if (answered) return;
      answered = true;
      dlg.close();
      dlg.remove();
      if (back && typeof back.focus === 'function') back.focus();
      resolve(yes);
    };
    cancel.addEventListener('click', () => finish(false));
    ok.addEventListener('click', () => finish(true));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

// A short notice at the bottom of the screen, read out politely.
let toastTimer = null;
export function toast(text) {
  const el = document.getElementById('toast');
  if (!el) return;
  replace(el, text);
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

// A table from HEADERS and ROWS (arrays of cells), in a wrapper that scrolls sideways on a
// narrow screen instead of breaking the layout.
export function table(caption, headers, rows, {empty = 'Nothing yet.', cls = ''} = {}) {
  if (!rows.length) return h('p', {class: 'empty'}, empty);
  return h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption},
    h('table', {class: cls || false},
      h('caption', {class: 'visually-hidden'}, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, rows.map((r) => (r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c))))))));
}

// Disables FORM's controls while PROMISE runs; returns its result.
export async function busy(form, promise) {
  const controls = [...form.querySelectorAll('button, input, select, textarea')];
  const was = controls.map((c) => c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  form.setAttribute('aria-busy', 'true');
  try {
    return await promise;
  } finally {
    controls.forEach((c, i) => { c.disabled = was[i]; });
    form.removeAttribute('aria-busy');
  }
}
