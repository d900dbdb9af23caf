// policy.js — an organisation's policy (its own org_admins) and the system policy
// (sysadmins): the policy form, checked here the way the server checks it
// (src/signin/org_policy.c), so that mistakes are shown next to their field before saving. The
// server checks again and its answer is shown as it gives it.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {formErrors, check, serverField} from './form_errors.js';
import {loginRulesFieldset} from './login_rules.js';
import {orgName} from './session.js';
import {heading, messageSlot, errorText, busy, toast} from './ui.js';

export const MIN_LENGTH_MIN = 12;
export const MIN_LENGTH_MAX = 128;
export const MAX_AGE_MAX = 3650; // days; 0 = a password never expires

async function policyScreen(el, title, path, system, alive) {
  const p = await api.get(path);
  if (!alive()) return;
  const errors = formErrors();
  const totp = h('input', {type: 'checkbox', checked: system || p.require_totp, disabled: system});
  const minLen = h('input', {type: 'number', min: String(MIN_LENGTH_MIN), max: String(MIN_LENGTH_MAX), step: '1',
    required: true, value: String(p.password.min_length), class: 'short'});
  const punct = h('input', {type: 'checkbox', checked: p.password.require_punctuation});
  const common = h('input', {type: 'checkbox', checked: p.password.reject_common});
  const maxAge = h('input', {type: 'number', min: '0', max: String(MAX_AGE_MAX), step: '1', required: true,
    value: String(p.password.max_password_age_days ?? 0), class: 'short'});
  const where = loginRulesFieldset(p.login, errors, {who: system ? 'system administrators' : 'members'});
  const slot = messageSlot();

  const form = h('form', {class: 'card', novalidate: true},
    h('fieldset', {}, h('legend', {}, 'Sign-in'),
      check('Require an authenticator code (TOTP) at sign-in', totp,
        system ? 'Always on for system administrators.' : 'Strongly recommended. A member who has no authenticator app yet cannot sign in once one is required: reset their sign-in (People) so that they set one up.')),
    h('fieldset', {}, h('legend', {}, 'Passwords'),
      errors.wrap('Minimum length (characters)', minLen, `${MIN_LENGTH_MIN} to ${MIN_LENGTH_MAX}.`),
      check('Require a punctuation character', punct),
      check('Refuse commonly used passwords', common, 'Passwords known from data breaches are always refused.'),
      errors.wrap('Maximum password age (days)', maxAge, h('p', {class: 'hint'},
        `0 means never (the default); at most ${MAX_AGE_MAX}. A password older than this must be changed before anything else. `,
        h('strong', {}, 'NIST SP 800-63B advises against forced periodic password changes'),
        `: people then choose weaker passwords and change them in predictable ways. Leave it at 0 unless a rule you must follow requires it; a password found in a data breach has to be changed anyway.`))),
    where.el,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save policy')));

  const validate = () => {
    errors.reset();
    const n = Number(minLen.value);
    if (!/^[0-9]+$/.test(minLen.value) || n < MIN_LENGTH_MIN || n > MIN_LENGTH_MAX) {
      errors.fail(minLen, `Must be a whole number from ${MIN_LENGTH_MIN} to ${MIN_LENGTH_MAX}.`);
    }
    const age = Number(maxAge.value);
    if (!/^[0-9]+$/.test(maxAge.value) || age > MAX_AGE_MAX) {
      errors.fail(maxAge, `Must be a whole number from 0 (never) to ${MAX_AGE_MAX}.`);
    }
    const login = where.validate();
    return {
      require_totp: system ? true : totp.checked,
      password: {min_length: n, require_punctuation: punct.checked, reject_common: common.checked,
        max_password_age_days: age},
      login,
    };
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = validate();
    if (errors.bad.length) {
      slot.set('error', 'Some fields need attention: see the messages next to them.');
      errors.bad[0].focus();
      return;
    }
    if (where.noDays()) {
      slot.set('error', 'Choose at least one day: with none, no one could sign in.');
      where.firstDay().focus();
      return;
    }
    try {
      await busy(form, api.put(path, body));
      slot.set('ok', `The policy has been saved. Its address, day and hour rules and the maximum password age hold from each ${system ? 'administrator' : 'member'}'s next request; the other password rules apply to the next password chosen.`);
      toast('Policy saved.');
    } catch (err) {
      // The server names the field it refuses: its reason goes next to that field too.
      const f = serverField(err);
      const control = f && (f.name.startsWith('login.') ? where.serverError(f.name.slice(6), f.text)
        : {'password.min_length': minLen, 'password.max_password_age_days': maxAge}[f.name]);
      if (control && !f.name.startsWith('login.')) errors.fail(control, f.text);
      slot.set('error', control ? `Saving the policy failed: ${f.text}` : errorText(err, 'Saving the policy'));
      if (control) control.focus();
    }
  });
  replace(el, heading(title), slot.el, form);
}

export async function orgPolicyView(el, {params, alive}) {
  const name = orgName(params.org);
  await policyScreen(el, `Policy · ${name}`, api.orgPath(params.org, 'policy'), false, alive);
}

export async function systemPolicyView(el, {alive}) {
  await policyScreen(el, 'System policy', '/api/v1/admin/policy', true, alive);
}
