// people_row.js — one row of the People table: a member's email, role and clearance (changed
// in place, then saved), status, last sign-in, whether a sign-in reset is pending, and the
// buttons that reset their sign-in or remove them (people_actions.js), and the link to their own
// sign-in rules (people_rules.js).
import * as api from './api.js';
import {h} from './dom.js';
import {href} from './router.js';
import {LEVELS, session, levelsUpTo} from './session.js';
import {badge, time, errorText, confirmDialog, toast} from './ui.js';
import {removeMember, resetMember, afterOwnChange} from './people_actions.js';

export const ROLE_NAMES = {member: 'member', org_admin: 'administrator'};
const STATUS_NAMES = {invited: 'invited (setting up)', active: 'active', disabled: 'disabled'};
// A change that raced another change of the account (version_conflict) changes nothing and is
// simply made again, a few times, before the person is told.
const CONFLICT_RETRIES = 3;

// PATCH the member with BODY; retried on version_conflict. Resolves to the new MEMBER row.
async function patchMember(org, userId, body) {
  for (let i = 0; ; i++) {
    try {
      return await api.patch(api.orgPath(org, 'members', api.seg(userId)), body);
    } catch (err) {
      if (err.code !== 'version_conflict' || i >= CONFLICT_RETRIES) throw err;
    }
  }
}

export function memberRow(m, ctx) {
  const self = m.user_id === session.user.id;
  const canChange = LEVELS.indexOf(m.clearance) <= LEVELS.indexOf(ctx.me.clearance);
  const who = `${m.email}${self ? ' (you)' : ''}`;

  const role = h('select', {'aria-label': `Role of ${m.email}`},
    Object.entries(ROLE_NAMES).map(([v, t]) => h('option', {value: v, selected: v === m.role}, t)));
  const clearance = h('select', {'aria-label': `Clearance of ${m.email}`},
    levelsUpTo(ctx.me.clearance).map((l) => h('option', {value: l, selected: l === m.clearance}, l)));
  const save = h('button', {type: 'button', class: 'primary small', disabled: true,
    'aria-label': `Save changes for ${m.email}`}, 'Save');
  const sync = () => { save.disabled = role.value === m.role && clearance.value === m.clearance; };
  role.addEventListener('change', sync);
  clearance.addEventListener('change', sync);

  save.addEventListener('click', async () => {
    const body = {};
    if (role.value !== m.role) body.role = role.value;
    if (clearance.value !== m.clearance) body.clearance = clearance.value;
    if (self && body.role === 'member') {
      const yes = await confirmDialog('Stop being an administrator?',
        `You will no longer manage the people, policy or audit trail of ${ctx.orgName}. Another administrator can make you one again.`,
        'Step down');
      if (!yes) return;
    }
    save.disabled = true;
    ctx.clear();
    try {
      const now = await patchMember(ctx.org, m.user_id, body);
      const said = `${now.email} is now ${ROLE_NAMES[now.role] || now.role}, cleared for ${now.clearance}.`;
      // One's own change alters what this screen may offer (or whether it may be shown at all).
      if (self) {
        toast(said);
        await afterOwnChange(now.role === 'org_admin');
        return;
      }
      toast(`${now.email} changed.`);
      ctx.say('ok', `${said} This holds from their next request.`);
      await ctx.refresh();
    } catch (err) {
      ctx.say('error', errorText(err, `Changing ${m.email}`));
      sync();
    }
  });

  const actions = [];
  if (canChange) actions.push(save);
  if (canChange) {
    actions.push(h('a', {href: `${href('orgs', ctx.org, 'people', m.user_id, 'rules')}`, class: 'button secondary small',
      'aria-label': `Sign-in rules of ${m.email}`}, 'Sign-in rules'));
  }
  if (canChange && !self) {
    actions.push(h('button', {type: 'button', class: 'secondary small', 'aria-label': `Reset sign-in of ${m.email}`,
      onclick: () => resetMember(m, ctx)}, 'Reset sign-in'));
  }
  if (canChange) {
    actions.push(h('button', {type: 'button', class: 'danger small', 'aria-label': `Remove ${m.email}`,
      onclick: () => removeMember(m, ctx, self)}, 'Remove'));
  }

  return h('tr', {'data-email': m.email},
    h('td', {}, who),
    h('td', {}, canChange ? role : ROLE_NAMES[m.role] || m.role),
    h('td', {}, canChange ? clearance : badge(m.clearance)),
    h('td', {}, h('span', {class: `status status-${m.status}`}, STATUS_NAMES[m.status] || m.status)),
    h('td', {}, m.last_login_at ? time(m.last_login_at) : h('span', {class: 'hint'}, 'never')),
    h('td', {}, m.reset_pending ? h('span', {class: 'status status-invited'}, 'pending') : '—'),
    h('td', {}, canChange ? h('div', {class: 'row-actions'}, actions)
      : h('span', {class: 'hint'}, `Cleared above you (${m.clearance}): only an administrator cleared as high can change them.`)));
}
