// invite.js — accepting an invitation at /invite/TOKEN (the link coffer init and invites
// print): choose a password, then enrol the authenticator app by its QR code (or the secret)
// and confirm a code.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {enrolView} from './enrol.js';
import {heading, message, messageSlot, errorText, busy, time, retryText} from './ui.js';
import {passwordRules} from './rules.js';

const ROLE_NAMES = {sysadmin: 'system administrator', member: 'member', org_admin: 'organisation administrator'};

export async function inviteView(el, {token, alive}) {
  document.title = 'Invitation · coffer';
  let invite;
  try {
    invite = await api.get(`/api/v1/invites/${api.seg(token)}`, {isPublic: true});
  } catch (err) {
    if (!alive()) return;
    replace(el, heading('This invitation cannot be used'),
      message('error', err.code === 'not_found'
        ? 'This invitation link is not valid: it has been used already, or it has expired (invitations last 72 hours). Ask your administrator for a new one.'
        : errorText(err, 'Opening the invitation')),
      h('p', {}, h('a', {href: '/#/signin'}, 'Go to sign-in')));
    return;
  }
  if (!alive()) return;
  choosePassword(el, token, invite);
}

function choosePassword(el, token, invite) {
  const pw = h('input', {type: 'password', autocomplete: 'new-password', required: true});
  const pw2 = h('input', {type: 'password', autocomplete: 'new-password', required: true});
  const rules = passwordRules(pw, pw2);
  const slot = messageSlot();
  const form = h('form', {class: 'card narrow', novalidate: true},
    h('input', {type: 'email', autocomplete: 'username', value: invite.email, hidden: true, readonly: true}),
    h('h2', {}, 'Step 1 of 2: choose a password'),
    field('New password', pw), field('New password again', pw2),
    rules.el,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Set password')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!rules.check()) {
      slot.set('error', 'The password does not meet every rule yet: see the list below the fields.');
      pw.focus();
      return;
    }
    slot.clear();
    try {
      const answer = await busy(form, api.post(`/api/v1/invites/${api.seg(token)}/accept`,
        {password: pw.value}, {isPublic: true}));
      if (answer.totp_required) enrol(el, token, invite, answer);
      else done(el, invite);
    } catch (err) {
      if (err.code === 'password_policy') {
        slot.set('error', `This password does not meet your organisation's rules. ${err.message}`);
      } else if (err.code === 'password_compromised') {
        slot.set('error', `This password is too easy to guess: it is a common password or one known from a data breach. Choose another. ${err.message}`);
      } else if (err.code === 'not_found') {
        slot.set('error', 'This invitation is no longer valid (used or expired). Ask your administrator for a new one.');
      } else if (err.code === 'invalid_credentials' && invite.org) {
        // The email already has an account: the server took the password as its current one.
        slot.set('error', 'An account with this email already exists. To add this organisation to it, choose “I already have a coffer account” below and type its current password.');
      } else {
        slot.set('error', errorText(err, 'Setting the password'));
      }
      pw.focus();
    }
  });
  // An existing account joins another organisation with its current password:
  // an invitation for the email of an active user adds the membership to that account.
  const joinLink = invite.org
    ? h('p', {class: 'hint center'}, 'Already use coffer with this email for another organisation? ',
      h('button', {type: 'button', class: 'link-button', onclick: () => joinExisting(el, token, invite)},
        'I already have a coffer account'))
    : null;
  replace(el, heading('Welcome to coffer'), intro(invite), slot.el, form, joinLink);
  pw.focus();
}

function intro(invite) {
  const org = invite.org ? ` of ${invite.org.name}` : '';
  return [h('p', {class: 'lead'}, 'You have been invited as ', h('strong', {}, ROLE_NAMES[invite.role] || invite.role), org,
    ', with the email address ', h('strong', {}, invite.email), '.'),
  h('p', {class: 'hint'}, 'This invitation expires ', time(invite.expires_at), '.')];
}

function joinExisting(el, token, invite) {
  const pw = h('input', {type: 'password', autocomplete: 'current-password', required: true});
  const submit = h('button', {type: 'submit', class: 'primary'}, `Join ${invite.org.name}`);
  const slot = messageSlot();
  const form = h('form', {class: 'card narrow', novalidate: true},
    h('input', {type: 'email', autocomplete: 'username', value: invite.email, hidden: true, readonly: true}),
    h('h2', {}, 'Join with your existing account'),
    field('Your current password', pw, 'The password you sign in to coffer with. Your authenticator app stays as it is.'),
    h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!pw.value) { slot.set('error', 'Enter your current password.'); pw.focus(); return; }
    slot.clear();
    try {
      const answer = await busy(form, api.post(`/api/v1/invites/${api.seg(token)}/accept`,
        {password: pw.value}, {isPublic: true}));
      // No account with this email after all: the password made a new one, to be enrolled.
      if (answer.totp_required) enrol(el, token, invite, answer);
      else joined(el, invite);
    } catch (err) {
      pw.value = '';
      if (err.code === 'invalid_credentials') {
        slot.set('error', 'That is not the password of the coffer account with this email. Check it and try again.');
      } else if (err.code === 'throttled') {
        slot.set('error', `Too many wrong passwords. For your security, wait before trying again: you can try again ${retryText(err.retryAfter || 1)}.`);
      } else if (err.code === 'not_found') {
        slot.set('error', 'This invitation is no longer valid (used or expired). Ask your administrator for a new one.');
      } else {
        slot.set('error', errorText(err, 'Joining'));
      }
      pw.focus();
    }
  });
  replace(el, heading('Welcome to coffer'), intro(invite), slot.el, form,
    h('p', {class: 'hint center'}, 'New to coffer? ',
      h('button', {type: 'button', class: 'link-button', onclick: () => choosePassword(el, token, invite)},
        'Choose a password for a new account')));
  pw.focus();
}

function joined(el, invite) {
  replace(el, heading(`You have joined ${invite.org.name}`),
    message('ok', `${invite.org.name} has been added to your account. Sign in as usual, with your password and a code from your authenticator app; then choose the organisation in the top bar.`),
    h('p', {}, h('a', {class: 'button primary', href: `/#/signin?email=${encodeURIComponent(invite.email)}`}, 'Go to sign-in')));
  document.getElementById('screen-title')?.focus();
}

// Step 2: the authenticator, confirmed at the invitation's own route.
function enrol(el, token, invite, answer) {
  enrolView(el, {answer, confirmPath: `/api/v1/invites/${api.seg(token)}/totp`, onDone: () => done(el, invite)});
}

function done(el, invite) {
  replace(el, heading('Your account is ready'),
    message('ok', 'Your account is active. Sign in with your email, your new password and a code from your authenticator app. Use a new code: the one you just typed will not work twice.'),
    h('p', {}, h('a', {class: 'button primary', href: `/#/signin?email=${encodeURIComponent(invite.email)}`}, 'Go to sign-in')));
  document.getElementById('screen-title')?.focus();
}
