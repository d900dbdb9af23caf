// admin.js — what system administrators do: organisations (metadata only), invitations (other
// sysadmins, and each new organisation's first administrator) and accounts (disable, enable).
// Nothing here shows a record, a file, or who belongs to an organisation: a sysadmin runs the
// service, and each organisation its own people.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {linkBox} from './linkbox.js';
import {session, LEVELS} from './session.js';
import {heading, message, messageSlot, time, size, table, errorText, busy, confirmDialog, toast} from './ui.js';

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
      if (s) replace(s, message('ok', `${org.name} has been created. `, h('a', {href: firstAdminHref(org.id)}, 'Invite its first administrator')));
    } catch (err) {
      slot.set('error', errorText(err, 'Creating the organisation'));
    }
  });
  const rows = list.orgs.map((o) => [
    o.status === 'deleting'
      ? h('span', {}, o.name, ' ', h('span', {class: 'hint'}, '· being deleted, on ', time(o.delete_after)))
      : o.name,
    time(o.created_at),
    h('span', {class: 'num'}, String(o.member_count)),
    size(o.storage_bytes),
    o.founded ? 'yes'
      : h('span', {}, 'not yet · ', h('a', {href: firstAdminHref(o.id), 'aria-label': `Invite the first administrator of ${o.name}`}, 'Invite its first administrator')),
  ]);
  const st = list.storage || {};
  const where = h('p', {class: 'hint'},
    `Stored in ${st.database === 'postgresql' ? 'PostgreSQL' : 'SQLite'}; file contents ${st.blob_store === 's3' ? `in an object store (region ${st.s3_region})` : 'on this server\'s disk'}; `,
    st.data_region ? `data kept in ${st.data_region}.` : 'no data region set.');
  replace(el, heading('Organisations'),
    h('p', {class: 'hint'}, 'You create organisations and invite each one\'s first administrator. From then on its people, policy, audit trail and content are its own: you see only what is listed here.'),
    where, slot.el, form, h('h2', {}, 'All organisations'),
    table('Organisations', ['Name', 'Created', 'Members', 'Storage used', 'Founded'], rows, {empty: 'No organisations yet.'}));
}

const firstAdminHref = (orgId) => `#/admin/invites?org=${encodeURIComponent(orgId)}`;

// A sysadmin invites another sysadmin, or the first org_admin of an organisation that has never
// had one (not founded). Anyone else is the organisation's own administrators' to invite: the
// server refuses it (403 org_owned), so the form does not offer it.
export async function adminInvitesView(el, {query, alive}) {
  const list = await api.get('/api/v1/admin/orgs');
  if (!alive()) return;
  const unfounded = list.orgs.filter((o) => !o.founded);
  const wanted = unfounded.find((o) => o.id === query.get('org'));
  const email = h('input', {type: 'email', required: true, autocomplete: 'off', spellcheck: 'false'});
  const role = h('select', {},
    h('option', {value: 'sysadmin', selected: !wanted}, 'System administrator'),
    h('option', {value: 'org_admin', selected: Boolean(wanted), disabled: !unfounded.length},
      'First administrator of a new organisation'));
  const org = h('select', {}, unfounded.map((o) => h('option', {value: o.id, selected: o.id === wanted?.id}, o.name)));
  const clearance = h('select', {}, LEVELS.map((l) => h('option', {value: l, selected: l === 'restricted'}, l)));
  const orgFields = h('div', {class: 'row'},
    field('Organisation', org, 'Only organisations that have never had an administrator are listed.'),
    field('Clearance', clearance, 'The highest level they may see. They can give others at most their own, so the first administrator is usually cleared for restricted.'));
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
    if (role.value === 'org_admin') {
      if (!org.value) { slot.set('error', 'Every organisation has an administrator already. Create a new organisation first.'); return; }
      body.org_id = org.value;
      body.clearance = clearance.value;
    }
    slot.clear();
    try {
      const inv = await busy(form, api.post('/api/v1/admin/invites', body));
      const where = body.org_id ? ` as the first administrator of ${org.selectedOptions[0].textContent}` : ' as a system administrator';
      replace(result, linkBox({
        lead: [`Invitation created for ${body.email}${where}. Send them this link:`],
        url: inv.url, expiresAt: inv.expires_at, id: 'invite-url', label: 'Invitation link',
        notes: ['Send it by a channel you trust: whoever opens it first chooses the password.'],
        onClose: () => result.replaceChildren(),
      }));
      email.value = '';
    } catch (err) {
      slot.set('error', errorText(err, 'Creating the invitation'));
    }
  });
  syncRole();
  replace(el, heading('Invitations'),
    h('p', {class: 'hint'}, 'coffer has no self-registration: people join by an invitation link, which is valid for 72 hours and for one use. You invite system administrators and the first administrator of each new organisation; that administrator invites everyone else in it.'),
    unfounded.length ? null : message('info', 'Every organisation has an administrator already: you can invite system administrators, or ', h('a', {href: '#/admin/orgs'}, 'create an organisation'), ' and invite its first administrator.'),
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
    h('span', {class: 'num'}, String(u.org_count ?? 0)),
    u.id === session.user.id ? h('span', {class: 'hint'}, 'you')
      : u.status === 'disabled'
        ? h('button', {type: 'button', class: 'secondary small', onclick: () => act(u, 'enable')}, 'Enable')
        : h('button', {type: 'button', class: 'danger small', onclick: () => act(u, 'disable'), 'aria-label': `Disable ${u.email}`}, 'Disable'),
  ]);
  replace(el, heading('Users'), slot.el, table('Users', ['Email', 'Role', 'Status', 'Organisations', ''], rows),
    h('p', {class: 'hint'}, 'How many organisations each account belongs to, not which: that is for each organisation\'s own administrators.'));
}
