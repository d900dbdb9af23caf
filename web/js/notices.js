// notices.js — what the user is told at sign-in: the sign-in answer and GET /api/v1/session
// list the unseen notices ("notices"); they are shown in a banner above the screen until the
// user dismisses them, which marks them seen (POST /api/v1/notices/seen) so that no later
// sign-in shows them again.
//
// An organisation's notices, told to every member. "recovered": the server's operator gave an
// organisation that had lost every administrator a new one (`coffer org recover`); every
// member is told, because that is the one way into an organisation that bypasses its own
// administrators. "deletion": a sysadmin asked for the organisation's deletion, due at the
// subject's time (members can export until then); "deletion_cancelled": that deletion was
// taken back.
//
// Personal notices ("personal": true), told to the user alone: a security event on their own
// account, with when and from which address, so that someone who did not do it knows their
// password (or more) is in other hands (docs/API.md, NOTICE).
import * as api from './api.js';
import {h, replace} from './dom.js';
import {session} from './session.js';
import {time} from './ui.js';

const bar = () => document.getElementById('notices');
let drawnIds = ''; // the ids the banner shows now, so that an unchanged list is not redrawn
const dismissed = new Set(); // marked seen by this page (a session read may still list them)

const ROLE_WORDS = {member: 'a member', org_admin: 'an administrator'};

// "member/internal" → "a member, with internal clearance"; ORG, when given, follows
// the role ("an administrator of Acme, with …").
function roleText(detail, org) {
  const [role, clearance] = String(detail || '').split('/');
  const who = `${ROLE_WORDS[role] || 'a member'}${org ? ` of ${org}` : ''}`;
  return clearance ? `${who}, with ${clearance} clearance` : who;
}

// The words of personal notice N, every value as text.
function personalText(n) {
  const when = n.created_at ? [' on ', time(n.created_at)] : [];
  const whenAfterRole = n.created_at ? [', on ', time(n.created_at)] : []; // after "with X clearance"
  const from = n.address ? ` from ${n.address}` : '';
  const org = String(n.subject || 'an organisation');
  const stolen = ' If this was not you, someone else knows your password: change it now, and tell your organisation\'s administrator.';
  switch (n.kind) {
    case 'password_changed':
      return ['Your password was changed', when, `${from}. If this was not you, ask your organisation's administrator to reset your sign-in at once.`];
    case 'signin_reset':
      return ['Your password and authenticator app were replaced by a sign-in reset', when, `${from}. If this was not you, tell your organisation's administrator at once.`];
    case 'totp_wrong':
      return ['Someone gave your password with a wrong authenticator code', when, `${from}.`, stolen];
    case 'totp_reused':
      return ['Someone gave your password with an authenticator code that had already been used', when, `${from}.`, stolen];
    case 'new_address':
      return [`Your account signed in from an address it had not used for 30 days${n.address ? ` (${n.address})` : ''}`, when, '.', stolen];
    case 'membership_added':
      return [`You were added to ${org} as ${roleText(n.detail)}`, whenAfterRole, '. If you did not expect this, tell its administrators.'];
    case 'membership_changed':
      return [`You were made ${roleText(n.detail, org)}`, whenAfterRole, '.'];
    case 'membership_removed':
      return [`You were removed from ${org}`, when, '.'];
    default:
      return ['A notice about your account', when, `${from}: ${n.kind}.`];
  }
}

// The words of notice N: text and elements, every value as text.
function noticeText(n) {
  if (n.personal) return personalText(n);
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

// What a notice's Dismiss button says it dismisses, for a screen reader.
const PERSONAL_LABELS = {
  password_changed: 'your password change', signin_reset: 'your sign-in reset',
  totp_wrong: 'a wrong authenticator code', totp_reused: 'a reused authenticator code',
  new_address: 'a sign-in from a new address', membership_added: 'being added to',
  membership_changed: 'your new role in', membership_removed: 'being removed from',
};
function dismissLabel(n) {
  if (!n.personal) return `Dismiss the notice about ${n.org_name}`;
  const what = PERSONAL_LABELS[n.kind] || 'your account';
  return `Dismiss the notice about ${what}${n.kind.startsWith('membership_') ? ` ${n.subject}` : ''}`;
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
    const b = h('button', {type: 'button', class: 'secondary small', 'aria-label': dismissLabel(n)}, 'Dismiss');
    b.addEventListener('click', () => dismiss([n], b));
    return h('div', {class: 'msg msg-warn notice', 'data-kind': n.kind, 'data-personal': n.personal ? 'true' : 'false'},
      h('p', {}, noticeText(n)), b);
  });
  const all = list.length > 1
    ? h('button', {type: 'button', class: 'link-button', onclick: (e) => dismiss(list, e.currentTarget)}, `Dismiss all ${list.length} notices`)
    : null;
  replace(el, items, all, problem);
  el.hidden = false;
}
