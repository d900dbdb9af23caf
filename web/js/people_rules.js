// people_rules.js — one member's own sign-in rules in an organisation
// (/api/v1/orgs/{org}/members/{user}/login-policy), set by its org_admins from the People
// screen: where and when this member may use the organisation (login_rules.js), and whether
// they must have an authenticator app even if the organisation does not ask for one.
//
// They narrow the organisation's own rules (its Policy) for this person alone, never widen
// them, and hold on every request: a session outside them is refused at once. The server is the
// judge: it refuses rules for a member cleared above the admin (403), and rules with which an
// admin would shut themselves out (400, naming the field).
import * as api from './api.js';
import {h, replace} from './dom.js';
import {href} from './router.js';
import {LEVELS, session, membership} from './session.js';
import {formErrors, check, serverField} from './form_errors.js';
import {loginRulesFieldset, describeRules, ALLOW_ALL} from './login_rules.js';
import {heading, message, messageSlot, errorText, busy, toast} from './ui.js';

export async function memberRulesView(el, {params, alive}) {
  const {org, user} = params;
  const me = membership(org);
  const [list, orgPolicy, first] = await Promise.all([
    api.get(api.orgPath(org, 'members')),
    api.get(api.orgPath(org, 'policy')),
    api.get(api.orgPath(org, 'members', api.seg(user), 'login-policy')),
  ]);
  if (!alive()) return;
  const back = h('p', {class: 'crumbs'}, h('a', {href: `${href('orgs', org)}/people`}, '← People'));
  const m = list.members.find((x) => x.user_id === user);
  if (!m) {
    replace(el, back, heading('Not available'), message('error', `This person is not a member of ${me.name} any more.`));
    return;
  }
  const self = m.user_id === session.user.id;
  const canChange = LEVELS.indexOf(m.clearance) <= LEVELS.indexOf(me.clearance);
  const slot = messageSlot();
  const formArea = h('div', {});

  const draw = (p) => {
    const errors = formErrors();
    const where = loginRulesFieldset(p, errors, {who: self ? 'you' : m.email});
    const totp = h('input', {type: 'checkbox', checked: Boolean(p.require_totp)});
    const save = h('button', {type: 'submit', class: 'primary'}, 'Save rules');
    const clear = h('button', {type: 'button', class: 'secondary'}, 'Remove these rules');
    const form = h('form', {class: 'card', novalidate: true},
      where.el,
      h('fieldset', {}, h('legend', {}, 'Authenticator app'),
        check('Require an authenticator app for this member', totp,
          orgPolicy.require_totp
            ? `${me.name} already requires one of every member; this keeps it required of ${m.email} should that change.`
            : `${me.name} does not require one; this requires it of ${m.email} alone.`),
        self ? null : h('p', {class: 'hint'}, `A member who has no authenticator app yet cannot sign in once one is required of them. Reset their sign-in (the Reset sign-in button on the People list): the link it gives lets them choose a new password and set up an authenticator app.`)),
      canChange ? h('div', {class: 'actions'}, save, clear,
        h('span', {class: 'hint'}, `"Remove these rules" leaves ${self ? 'you' : m.email} with ${me.name}'s rules alone.`)) : null);
    if (!canChange) {
      form.querySelectorAll('input, textarea, select, button').forEach((c) => { c.disabled = true; });
    }

    const put = async (body, done) => {
      try {
        const now = await busy(form, api.put(api.orgPath(org, 'members', api.seg(user), 'login-policy'), body));
        draw(now);
        slot.set('ok', done);
        toast(`Sign-in rules of ${m.email} saved.`);
      } catch (err) {
        // The server names the field it refuses: its reason goes next to that field too.
        const f = serverField(err);
        const control = f && (f.name === 'require_totp' ? null : where.serverError(f.name, f.text));
        slot.set('error', control ? `Saving the rules failed: ${f.text}` : errorText(err, 'Saving the rules'));
        if (control) control.focus();
      }
    };

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errors.reset();
      const login = where.validate();
      if (errors.bad.length) {
        slot.set('error', 'Some fields need attention: see the messages next to them.');
        errors.bad[0].focus();
        return;
      }
      if (where.noDays()) {
        slot.set('error', `Choose at least one day: with none, ${self ? 'you' : m.email} could never use ${me.name}.`);
        where.firstDay().focus();
        return;
      }
      await put({...login, require_totp: totp.checked},
        `The sign-in rules of ${m.email} have been saved. They hold from ${self ? 'your' : 'their'} next request: a session outside them is refused at once.`);
    });
    clear.addEventListener('click', () => put({...ALLOW_ALL, require_totp: false},
      `The rules of ${m.email} have been removed: ${self ? 'you follow' : 'they follow'} ${me.name}'s rules alone, from ${self ? 'your' : 'their'} next request.`));
    replace(formArea, form);
  };
  draw(first);

  replace(el, back, heading(`Sign-in rules · ${m.email}`),
    h('p', {}, `These rules apply to ${self ? 'you' : m.email} alone, on top of ${me.name}'s own rules (its Policy): they can only narrow what the organisation allows, never widen it. They hold on every request, not only at sign-in: a session from an address, or on a day or at an hour, outside them is refused at once.`),
    h('p', {class: 'hint'}, `${me.name} allows everyone: ${describeRules(orgPolicy.login)}${orgPolicy.require_totp ? ', with an authenticator app' : ''}.`),
    self ? message('info', 'These are your own rules. coffer refuses rules that would shut you out: your present address must stay allowed, with at least one day.') : null,
    canChange ? null : message('warn', `${m.email} is cleared above you (${m.clearance}): only an administrator cleared as high can change their rules.`),
    slot.el, formArea);
}
