// password.js — changing one's password: forced when the server says must_change_password (a
// breached password), or by choice from the top bar. A change ends every
// session, this one included, so the user signs in again afterwards.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {navigate} from './router.js';
import {session, setSession} from './session.js';
import {heading, message, messageSlot, errorText, busy} from './ui.js';
import {passwordRules} from './rules.js';
import {setSigninNotice} from './signin.js';

export async function passwordView(el) {
  const forced = session.mustChangePassword;
  const current = h('input', {type: 'password', autocomplete: 'current-password', required: true});
  const pw = h('input', {type: 'password', autocomplete: 'new-password', required: true});
  const pw2 = h('input', {type: 'password', autocomplete: 'new-password', required: true});
  const rules = passwordRules(pw, pw2);
  const slot = messageSlot();
  const form = h('form', {class: 'card narrow', novalidate: true},
    h('input', {type: 'email', autocomplete: 'username', value: session.user.email, hidden: true, readonly: true}),
    field('Current password', current), field('New password', pw), field('New password again', pw2), rules.el,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Change password')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!current.value) { slot.set('error', 'Enter your current password.'); current.focus(); return; }
    if (!rules.check()) { slot.set('error', 'The new password does not meet every rule yet: see the list.'); pw.focus(); return; }
    slot.clear();
    try {
      await busy(form, api.post('/api/v1/me/password', {current_password: current.value, new_password: pw.value}));
      const email = session.user.email;
      setSession(null);
      setSigninNotice('ok', 'Your password has been changed. Sign in with the new one (and a new code).');
      navigate(`#/signin?email=${encodeURIComponent(email)}`);
    } catch (err) {
      if (err.status === 401 && err.code !== 'invalid_credentials') return; // the session ended: the app shows sign-in
      const text = {
        invalid_credentials: 'Your current password is not right.',
        password_policy: `The new password does not meet the rules. ${err.message}`,
        password_compromised: `The new password is too easy to guess: it is a common password or one known from a data breach. Choose another. ${err.message}`,
      }[err.code] || errorText(err, 'Changing the password');
      slot.set('error', text);
    }
  });
  replace(el, heading(forced ? 'Choose a new password' : 'Change your password'),
    forced ? message('warn', 'The password you signed in with appears in a list of passwords known from data breaches, so others may know it. Choose a new one: nothing else is available until you do.') : null,
    slot.el, form);
  current.focus();
}
