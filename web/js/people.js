// people.js — an organisation's people, as its own org_admins manage them
// (/api/v1/orgs/{org}/members…): the member table, the invitation form, and the one-time link an
// invitation or a sign-in reset gives. Each row's controls are in people_row.js, the invitation
// form in people_invite.js. A sysadmin never comes here: an organisation's people are its own.
//
// An admin changes only people cleared at or below their own clearance, and to at most it; the
// server refuses the rest (403) and is the judge. A change holds from the member's next request.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {membership} from './session.js';
import {heading, messageSlot, errorText} from './ui.js';
import {memberRow} from './people_row.js';
import {inviteForm} from './people_invite.js';

const COLUMNS = ['Email', 'Role', 'Clearance', 'Status', 'Last sign-in', 'Sign-in reset', 'Actions'];

export async function peopleView(el, {params, alive}) {
  const org = params.org;
  const first = await api.get(api.orgPath(org, 'members'));
  if (!alive()) return;
  const me = membership(org);
  const slot = messageSlot();
  const linkArea = h('div', {id: 'people-link'});
  const listArea = h('div', {});
  const count = h('p', {class: 'hint', 'aria-live': 'polite'});

  const ctx = {
    org,
    orgName: me.name,
    me,
    // Shows a one-time link card (an invitation, a reset) until closed or replaced.
    showLink: (card) => { replace(linkArea, card); },
    hideLink: () => { linkArea.replaceChildren(); },
    say: (kind, ...content) => slot.set(kind, ...content),
    clear: () => slot.clear(),
    // Reads the list again and redraws it; the message and the link card stay.
    refresh: async () => {
      try {
        draw((await api.get(api.orgPath(org, 'members'))).members);
      } catch (err) {
        slot.set('error', errorText(err, 'Reading the list of people again'));
      }
    },
  };

  const draw = (members) => {
    count.textContent = `${members.length} ${members.length === 1 ? 'person' : 'people'}.`;
    replace(listArea, members.length
      ? h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Members'},
        h('table', {class: 'people'},
          h('caption', {class: 'visually-hidden'}, `Members of ${me.name}`),
          h('thead', {}, h('tr', {}, COLUMNS.map((t) => h('th', {scope: 'col'}, t)))),
          h('tbody', {}, members.map((m) => memberRow(m, ctx)))))
      : h('p', {class: 'empty'}, 'No members yet.'));
  };
  draw(first.members);

  replace(el, heading(`People · ${me.name}`),
    h('p', {class: 'hint'}, `As an administrator of ${me.name} you invite its people, set their role and clearance, set sign-in rules for one person (Sign-in rules), reset a lost sign-in and remove those who leave. You can give a clearance up to your own (${me.clearance}). Each change holds from the person's next request.`),
    slot.el, linkArea, count, listArea, inviteForm(ctx));
}
