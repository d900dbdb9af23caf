// notices.js — what the user's organisations tell their members: the sign-in answer and
// GET /api/v1/session list the unseen ones ("notices"); they are shown in a banner above the
// screen until the user dismisses them, which marks them seen (POST /api/v1/notices/seen) so
// that no later sign-in shows them again.
//
// The kinds: "recovered": the server's operator gave an organisation that had lost every
// administrator a new one (`coffer org recover`); every member is told, because that is the one
// way into an organisation that bypasses its own administrators. "deletion": a sysadmin asked
// for the organisation's deletion, due at the subject's time (members can export until then);
// "deletion_cancelled": that deletion was taken back.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {session} from './session.js';
import {time} from './ui.js';

const bar = () => document.getElementById('notices');
let drawnIds = ''; // the ids the banner shows now, so that an unchanged list is not redrawn
const dismissed = new Set(); // marked seen by this page (a session read may still list them)

// The words of notice N: text and elements, every value as text.
function noticeText(n) {
  const org = String(n.org_name || 'An organisation');
  const when = n.created_at ? ['on ', time(n.created_at)] : [];
  if (n.kind === 'recovered') {
    return [`${org} was recovered by the server's operator `, when,
      `: ${n.subject} was made its administrator. If you did not expect this, tell your organisation's other members.`];
  }
  if (n.kind === 'deletion') {
    return [`${org} is to be deleted, with everything it holds, `, n.subject ? ['on ', time(n.subject)] : [],
      `. Until then its content can be read and exported (by its administrators), not changed.`];
  }
  if (n.kind === 'deletion_cancelled') {
    return [`The deletion of ${org} was cancelled `, when, '.'];
  }
  return [`A notice from ${org} `, when, `: ${n.kind}${n.subject ? `, ${n.subject}` : ''}.`];
}

// Shows NOTICES (a session's "notices"; [] when signed out), leaving out those dismissed here.
export function showNotices(notices) {
  const el = bar();
  if (!el) return;
  const list = (Array.isArray(notices) ? notices : []).filter((n) => n && !dismissed.has(n.id));
  const ids = list.map((n) => n.id).join(',');
  if (ids === drawnIds) return;
  drawnIds = ids;
  if (!list.length) {
    el.replaceChildren();
    el.hidden = true;
    return;
  }
  const problem = h('p', {class: 'field-error', role: 'alert'});
  const dismiss = async (targets, button) => {
    const buttons = [...el.querySelectorAll('button')];
    buttons.forEach((b) => { b.disabled = true; });
    problem.textContent = '';
    try {
      await api.post('/api/v1/notices/seen', {ids: targets.map((n) => n.id)});
      targets.forEach((n) => dismissed.add(n.id));
      const hadFocus = el.contains(document.activeElement);
      showNotices(session.notices);
      // The button pressed is gone: the focus goes to the next notice, or to the screen.
      if (hadFocus || document.activeElement === document.body) {
        const next = el.querySelector('button') || document.getElementById('screen-title');
        if (next) next.focus({preventScroll: true});
      }
    } catch (err) {
      buttons.forEach((b) => { b.disabled = false; });
      problem.textContent = `Dismissing the notice failed: ${err.message}`;
      if (button) button.focus();
    }
  };
  const items = list.map((n) => {
    const b = h('button', {type: 'button', class: 'secondary small', 'aria-label': `Dismiss the notice about ${n.org_name}`}, 'Dismiss');
    b.addEventListener('click', () => dismiss([n], b));
    return h('div', {class: 'msg msg-warn notice', 'data-kind': n.kind},
      h('p', {}, noticeText(n)), b);
  });
  const all = list.length > 1
    ? h('button', {type: 'button', class: 'link-button', onclick: (e) => dismiss(list, e.currentTarget)}, `Dismiss all ${list.length} notices`)
    : null;
  replace(el, items, all, problem);
  el.hidden = false;
}
