// people_invite.js — an org_admin inviting someone into their organisation
// (POST /api/v1/orgs/{org}/invites): email, role, and a clearance up to the admin's own. The
// answer's link is shown once (linkbox.js) for the admin to send.
import * as api from './api.js';
import {h, field} from './dom.js';
import {errorText, busy, messageSlot} from './ui.js';
import {linkBox} from './linkbox.js';
import {levelsUpTo} from './session.js';

export function inviteForm(ctx) {
  const levels = levelsUpTo(ctx.me.clearance);
  const email = h('input', {type: 'email', required: true, autocomplete: 'off', spellcheck: 'false'});
  const role = h('select', {},
    h('option', {value: 'member'}, 'Member: works with records and files'),
    h('option', {value: 'org_admin'}, 'Administrator: also manages people, policy and the audit trail'));
  const preferred = levels.includes('confidential') ? 'confidential' : levels[levels.length - 1];
  const clearance = h('select', {}, levels.map((l) => h('option', {value: l, selected: l === preferred}, l)));
  const slot = messageSlot();
  const form = h('form', {class: 'card', novalidate: true, 'aria-labelledby': 'invite-title'},
    h('h2', {id: 'invite-title'}, 'Invite someone'),
    slot.el,
    field('Email', email),
    h('div', {class: 'row'},
      field('Role', role),
      field('Clearance', clearance, `The highest level of record and file they may see: at most your own (${ctx.me.clearance}).`)),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create invitation')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const address = email.value.trim();
    if (!address || !email.validity.valid) {
      slot.set('error', 'Enter the email address of the person to invite.');
      email.focus();
      return;
    }
    slot.clear();
    try {
      const inv = await busy(form, api.post(api.orgPath(ctx.org, 'invites'),
        {email: address, role: role.value, clearance: clearance.value}));
      email.value = '';
      ctx.showLink(linkBox({
        lead: [`Invitation created for ${address}. Send them this link:`],
        url: inv.url, expiresAt: inv.expires_at, id: 'invite-url', label: 'Invitation link',
        notes: [`Send it by a channel you trust: whoever opens it first chooses the password. ${address} appears in the list above once they have accepted.`],
        onClose: ctx.hideLink,
      }));
    } catch (err) {
      slot.set('error', errorText(err, 'Creating the invitation'));
      email.focus();
    }
  });
  return form;
}
