// reset.js — completing a sign-in reset at /reset/TOKEN, the link an administrator of the
// member's organisation made and handed over (people_actions.js): choose a new password, set up
// the authenticator app again with the new QR code, confirm a code, then sign in as usual.
// The old password, authenticator and sessions stopped working when the reset was made.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {heading, message, messageSlot, errorText, busy, time} from './ui.js';
import {passwordRules} from './rules.js';
import {enrolView} from './enrol.js';

const UNUSABLE = 'This link is not valid: it has been used already, or it has expired (reset links last 72 hours). Ask an administrator of your organisation for a new one.';

export async function resetView(el, {token, alive}) {
  document.title = 'Reset your sign-in · coffer';
  let reset;
  try {
    reset = await api.get(`/api/v1/resets/${api.seg(token)}`, {isPublic: true});
  } catch (err) {
    if (!alive()) return;
    replace(el, heading('This link cannot be used'),
      message('error', err.code === 'not_found' ? UNUSABLE : errorText(err, 'Opening the link')),
      h('p', {}, h('a', {href: '/#/signin'}, 'Go to sign-in')));
    return;
  }
  if (!alive()) return;
  choosePassword(el, token, reset);
}

function choosePassword(el, token, reset) {
  const pw = h('input', {type: 'password', autocomplete: 'new-password', required: true});
  const pw2 = h('input', {type: 'password', autocomplete: 'new-password', required: true});
  const rules = passwordRules(pw, pw2);
  const slot = messageSlot();
  const form = h('form', {class: 'card narrow', novalidate: true},
    h('input', {type: 'email', autocomplete: 'username', value: reset.email, hidden: true, readonly: true}),
    h('h2', {}, 'Step 1 of 2: choose a new password'),
    field('New password', pw), field('New password again', pw2),
    rules.el,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Set new password')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!rules.check()) {
      slot.set('error', 'The password does not meet every rule yet: see the list below the fields.');
      pw.focus();
      return;
    }
    slot.clear();
    try {
      const answer = await busy(form, api.post(`/api/v1/resets/${api.seg(token)}/accept`,
        {password: pw.value}, {isPublic: true}));
      if (answer.totp_required) {
        enrolView(el, {answer, confirmPath: `/api/v1/resets/${api.seg(token)}/totp`, onDone: () => done(el, reset)});
      } else {
        done(el, reset);
      }
    } catch (err) {
      const text = {
        password_policy: `This password does not meet your organisation's rules. ${err.message}`,
        password_compromised: `This password is too easy to guess: it is a common password or one known from a data breach. Choose another. ${err.message}`,
        not_found: UNUSABLE,
        shared_account: `This sign-in also belongs to other organisations, so only you can change it: sign in and change your password from your account. ${err.message}`,
      }[err.code] || errorText(err, 'Setting the password');
      slot.set('error', text);
      pw.focus();
    }
  });
  replace(el, heading('Reset your sign-in'),
    h('p', {class: 'lead'}, 'An administrator of ', h('strong', {}, reset.org.name),
      ' has reset the sign-in of ', h('strong', {}, reset.email), '. Choose a new password, then set up your authenticator app again.'),
    h('p', {class: 'hint'}, 'Your old password and authenticator code no longer work. This link works once and expires ', time(reset.expires_at), '.'),
    slot.el, form);
  pw.focus();
}

function done(el, reset) {
  replace(el, heading('Your sign-in is ready'),
    message('ok', 'Your new password and authenticator are set. Sign in with your email, the new password and a code from your authenticator app. Use a new code: the one you just typed will not work twice.'),
    h('p', {}, h('a', {class: 'button primary', href: `/#/signin?email=${encodeURIComponent(reset.email)}`}, 'Go to sign-in')));
  document.getElementById('screen-title')?.focus();
}
