// signin.js — the sign-in screen: email, password and the 6-digit code (or a passkey instead of
// the code), with a message for each way it can fail: wrong credentials, throttled (and until
// when), refused by the login policy.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {navigate} from './router.js';
import {setSession, homeHash} from './session.js';
import {heading, messageSlot, errorText, busy, retryText} from './ui.js';
import {getPasskey, passkeysSupported, passkeyErrorText} from './webauthn.js';

let notice = null; // a message for the next sign-in screen: why the user is here
export function setSigninNotice(kind, text) { notice = {kind, text}; }

// Only a hash route of this application may be the place to return to.
function safeNext(next) {
  return typeof next === 'string' && /^#\/[A-Za-z0-9/_%.~-]*$/.test(next) && !next.startsWith('#/signin')
    ? next : null;
}

export async function signinView(el, {query}) {
  const email = h('input', {type: 'email', name: 'email', autocomplete: 'username', required: true,
    value: query.get('email') || '', spellcheck: 'false'});
  const password = h('input', {type: 'password', name: 'password', autocomplete: 'current-password',
    required: true});
  const code = h('input', {type: 'text', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code',
    pattern: '[0-9]{6}', maxlength: '6', size: '6', class: 'code'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const withPasskey = passkeysSupported()
    ? h('button', {type: 'button', class: 'secondary'}, 'Use a passkey') : null;
  const slot = messageSlot();
  if (notice) slot.set(notice.kind, notice.text);
  notice = null;

  let countdown = null;
  const throttled = (seconds) => {
    clearInterval(countdown);
    const until = Date.now() + Math.max(1, seconds) * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0 || !el.contains(submit)) {
        clearInterval(countdown);
        submit.disabled = false;
        if (el.contains(submit)) slot.set('info', 'You can try again now.');
        return;
      }
      submit.disabled = true;
      slot.set('error', `Too many failed sign-in attempts. For your security, wait before trying again: you can try again ${retryText(left)}.`);
    };
    tick();
    countdown = setInterval(tick, 1000);
  };

  const form = h('form', {class: 'card narrow', novalidate: true},
    field('Email', email),
    field('Password', password),
    field('Authenticator code', code, 'The 6-digit code your authenticator app shows now. Each code works once.'),
    h('div', {class: 'actions'}, submit, withPasskey));
  // The email and password come first whatever the second factor: a passkey replaces the code.
  const credentialsGiven = () => {
    if (email.value.trim() && password.value) return true;
    slot.set('error', 'Enter your email and your password.');
    (email.value.trim() ? password : email).focus();
    return false;
  };
  const signIn = async (body) => {
    try {
      const answer = await busy(form, api.post('/api/v1/login', body, {isPublic: true}));
      setSession(answer);
      navigate(answer.must_change_password ? '#/password' : (safeNext(query.get('next')) || homeHash()));
    } catch (err) {
      code.value = '';
      if (err.code === 'throttled') {
        throttled(err.retryAfter || 1);
      } else if (err.code === 'invalid_credentials') {
        slot.set('error', 'The email, password or code is not right. Check them and try again. If your code was accepted a moment ago, wait for the next one: each code works only once.');
        password.focus();
      } else if (err.code === 'login_policy') {
        // The server's message says the same in fewer words, except when the organisation now
        // requires an authenticator the account never enrolled: then its message is the news.
        slot.set('error', /authenticator|passkey/i.test(err.message || '') ? err.message
          : "Your details are right, but your organisation's sign-in policy does not allow signing in from this network or at this time. Ask your organisation's administrator if you need to sign in from here or now.");
      } else {
        slot.set('error', errorText(err, 'Signing in'));
      }
    }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!credentialsGiven()) return;
    if (code.value && !/^[0-9]{6}$/.test(code.value.trim())) {
      slot.set('error', 'The authenticator code is 6 digits.');
      code.focus();
      return;
    }
    slot.clear();
    const body = {email: email.value.trim(), password: password.value};
    if (code.value.trim()) body.totp = code.value.trim();
    await signIn(body);
  });
  withPasskey?.addEventListener('click', async () => {
    if (!credentialsGiven()) return;
    slot.clear();
    let passkey;
    try {
      const options = await busy(form, api.post('/api/v1/login/passkey-options', undefined, {isPublic: true}));
      passkey = await getPasskey(options);
    } catch (err) {
      slot.set('error', 'status' in (err || {}) ? errorText(err, 'Signing in') : passkeyErrorText(err));
      return;
    }
    await signIn({email: email.value.trim(), password: password.value, passkey});
  });
  replace(el, heading('Sign in to coffer'), slot.el, form,
    h('p', {class: 'hint center'}, 'New here? Open the invitation link your administrator sent you.'));
  (email.value ? password : email).focus();
}
