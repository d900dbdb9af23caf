// sessions.js — the signed-in user's own sessions (GET /api/v1/me/sessions): where and with
// what browser each signed in, when it was last used, this one marked; ending any other one,
// or all the others at once. Ending sessions is a sensitive change: the server may ask for the
// password again first, which api.js handles (reauth.js).
import * as api from './api.js';
import {h, replace} from './dom.js';
import {heading, message, messageSlot, time, table, errorText, confirmDialog, toast} from './ui.js';

export async function sessionsView(el, {alive}) {
  const list = await api.get('/api/v1/me/sessions');
  if (!alive()) return;
  const slot = messageSlot();
  const others = list.sessions.filter((s) => !s.current);
  const end = async (s) => {
    const where = s.address || 'an unknown address';
    if (!await confirmDialog('End this session?',
      `The browser signed in from ${where} is signed out at once.`, 'End session')) return;
    try {
      await api.del(`/api/v1/me/sessions/${api.seg(s.id)}`);
      toast('The session has been ended.');
      await sessionsView(el, {alive});
    } catch (err) {
      slot.set('error', errorText(err, 'Ending the session'));
    }
  };
  const endAll = h('button', {type: 'button', class: 'danger', disabled: !others.length,
    onclick: async () => {
      if (!await confirmDialog('End all other sessions?',
        'Every other browser or device signed in to your account is signed out at once. This one stays signed in.',
        'End all other sessions')) return;
      try {
        const r = await api.del('/api/v1/me/sessions');
        toast(r.ended === 1 ? 'One other session has been ended.' : `${r.ended} other sessions have been ended.`);
        await sessionsView(el, {alive});
      } catch (err) {
        slot.set('error', errorText(err, 'Ending the other sessions'));
      }
    }}, 'End all other sessions');
  const rows = list.sessions.map((s) => h('tr', {class: s.current ? 'current-session' : false},
    h('td', {}, time(s.created_at)),
    h('td', {}, time(s.last_used_at)),
    h('td', {}, s.address ?? h('span', {class: 'hint'}, 'not recorded')),
    h('td', {class: 'browser'}, s.browser ?? h('span', {class: 'hint'}, 'not recorded')),
    h('td', {}, s.current
      ? h('strong', {}, 'This session')
      : h('button', {type: 'button', class: 'secondary',
        'aria-label': `End the session signed in from ${s.address || 'an unknown address'}`,
        onclick: () => end(s)}, 'End'))));
  replace(el, heading('Your sessions', endAll),
    h('p', {class: 'hint'}, 'Every browser or device signed in to your account, newest first. If you do not recognise one, end it and change your password.'),
    slot.el,
    list.sessions.length >= 100 ? message('info', 'Only your 100 newest sessions are listed; "End all other sessions" ends every one.') : null,
    table('Your sessions', ['Signed in', 'Last used', 'Address', 'Browser', ''], rows,
      {empty: 'No sessions.', cls: 'sessions'}));
}
