// admin.js — what system administrators do: organisations, invitations and
// users. Nothing here shows a record or a file: a sysadmin never reads content.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {href} from './router.js';
import {session, LEVELS} from './session.js';
import {heading, message, messageSlot, time, table, errorText, busy, confirmDialog, toast} from './ui.js';

export async function adminOrgsView(el, {alive}) {
  const list = await api.get('/api/v1/admin/orgs');
  if (!alive()) return;
  const name = h('input', {type: 'text', required: true, maxlength: '200', autocomplete: 'off'});
  const slot = messageSlot();
  const form = h('form', {class: 'card', novalidate: true},
    h('h2', {}, 'New organisation'),
    field('Name', name),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create organisation')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) { slot.set('error', 'Give the organisation a name.'); name.focus(); return; }
    try {
      const org = await busy(form, api.post('/api/v1/admin/orgs', {name: name.value.trim()}));
      toast(`${org.name} has been created.`);
      await adminOrgsView(el, {alive});
      const s = el.querySelector('.msg-slot');
      if (s) replace(s, message('ok', `${org.name} has been created. `, h('a', {href: `#/admin/invites?org=${encodeURIComponent(org.id)}`}, 'Invite its first member')));
    } catch (err) {
      slot.set('error', errorText(err, 'Creating the organisation'));
    }
  });
  const rows = list.orgs.map((o) => [o.name, h('span', {class: 'mono'}, o.id),
    h('span', {class: 'links'},
      h('a', {href: `#/admin/invites?org=${encodeURIComponent(o.id)}`}, 'Invite'), ' · ',
      h('a', {href: `${href('orgs', o.id)}/policy`}, 'Policy'), ' · ',
      h('a', {href: `${href('orgs', o.id)}/audit`}, 'Audit trail'))]);
  replace(el, heading('Organisations'), slot.el, form, h('h2', {}, 'All organisations'),
    table('Organisations', ['Name', 'Id', ''], rows, {empty: 'No organisations yet.'}));
}

export async function adminInvitesView(el, {query, alive}) {
  const list = await api.get('/api/v1/admin/orgs');
  if (!alive()) return;
  const email = h('input', {type: 'email', required: true, autocomplete: 'off', spellcheck: 'false'});
  const role = h('select', {},
    h('option', {value: 'member'}, 'Member of an organisation'),
    h('option', {value: 'org_admin'}, 'Administrator of an organisation'),
    h('option', {value: 'sysadmin'}, 'System administrator'));
  const org = h('select', {}, list.orgs.map((o) => h('option', {value: o.id, selected: o.id === query.get('org')}, o.name)));
  const clearance = h('select', {}, LEVELS.map((l) => h('option', {value: l, selected: l === 'confidential'}, l)));
  const orgFields = h('div', {class: 'row'},
    field('Organisation', org), field('Clearance', clearance, 'The highest level of record and file they may see.'));
  const syncRole = () => { orgFields.hidden = role.value === 'sysadmin'; };
  role.addEventListener('change', syncRole);
  const slot = messageSlot();
  const result = h('div', {});
  const form = h('form', {class: 'card', novalidate: true},
    field('Email', email), field('Role', role), orgFields,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create invitation')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!email.validity.valid || !email.value.trim()) { slot.set('error', 'Enter the email address of the person to invite.'); email.focus(); return; }
    const body = {email: email.value.trim(), role: role.value};
    if (role.value !== 'sysadmin') {
      if (!org.value) { slot.set('error', 'Create an organisation first.'); return; }
      body.org_id = org.value;
      body.clearance = clearance.value;
    }
    slot.clear();
    try {
      const inv = await busy(form, api.post('/api/v1/admin/invites', body));
      const url = h('input', {type: 'text', readonly: true, value: inv.url, class: 'mono wide', id: 'invite-url'});
      const copied = h('span', {class: 'hint', 'aria-live': 'polite'});
      const copy = h('button', {type: 'button', class: 'secondary'}, 'Copy link');
      copy.addEventListener('click', async () => {
        url.select();
        try { await navigator.clipboard.writeText(inv.url); copied.textContent = 'Copied.'; }
        catch { copied.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.'; }
      });
      replace(result, h('div', {class: 'card'},
        message('ok', `Invitation created for ${body.email}. Send them this link (it works once, and expires `, time(inv.expires_at), '):'),
        field('Invitation link', url), h('div', {class: 'actions'}, copy, copied)));
      email.value = '';
      url.focus();
      url.select();
    } catch (err) {
      slot.set('error', errorText(err, 'Creating the invitation'));
    }
  });
  syncRole();
  replace(el, heading('Invitations'),
    h('p', {class: 'hint'}, 'coffer has no self-registration: people join by an invitation link, which is valid for 72 hours and for one use.'),
    list.orgs.length ? null : message('info', 'There are no organisations yet: you can invite system administrators, or ', h('a', {href: '#/admin/orgs'}, 'create an organisation'), ' first.'),
    slot.el, form, result);
}

export async function adminUsersView(el, {alive}) {
  const list = await api.get('/api/v1/admin/users');
  if (!alive()) return;
  const slot = messageSlot();
  const act = async (u, action) => {
    if (action === 'disable') {
      const yes = await confirmDialog(`Disable ${u.email}?`,
        'They are signed out everywhere at once and cannot sign in until enabled again. Their records and files stay.', 'Disable account');
      if (!yes) return;
    }
    try {
      await api.post(`/api/v1/admin/users/${api.seg(u.id)}/${action}`);
      toast(`${u.email} has been ${action}d.`);
      await adminUsersView(el, {alive});
    } catch (err) {
      slot.set('error', errorText(err, action === 'disable' ? 'Disabling the account' : 'Enabling the account'));
    }
  };
  const rows = list.users.map((u) => [
    u.email,
    u.role === 'sysadmin' ? 'system administrator' : 'user',
    h('span', {class: `status status-${u.status}`}, u.status),
    u.orgs.length ? h('ul', {class: 'plain'}, u.orgs.map((o) => h('li', {}, `${o.name} — ${o.role === 'org_admin' ? 'administrator' : 'member'}, ${o.clearance}`))) : '—',
    u.id === session.user.id ? h('span', {class: 'hint'}, 'you')
      : u.status === 'disabled'
        ? h('button', {type: 'button', class: 'secondary small', onclick: () => act(u, 'enable')}, 'Enable')
        : h('button', {type: 'button', class: 'danger small', onclick: () => act(u, 'disable'), 'aria-label': `Disable ${u.email}`}, 'Disable'),
  ]);
  replace(el, heading('Users'), slot.el, table('Users', ['Email', 'Role', 'Status', 'Organisations', ''], rows));
}
