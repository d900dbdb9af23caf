// reauth.js — asking for the password (and a code) again before a sensitive change.
//
// The server refuses a sensitive change (ending sessions, people's memberships and resets,
// invitations, policies, disabling accounts, deleting an organisation) with 403
// reauthentication_required once the session's sign-in is older than its window (15 minutes
// by default; docs/API.md, "Re-authentication"). The api layer then calls askToReauthenticate:
// a modal dialog asks for the password, and for a code from the authenticator app when the
// account has one (an administrator's always does; the server says when it was missing), sends
// them to POST /api/v1/me/reauthenticate, and resolves true once the session is recent again,
// so that the change is sent once more; false when the person cancels. Nothing typed is kept:
// the dialog and its fields are removed when it closes.
import {h, field} from './dom.js';
import {messageSlot, retryText} from './ui.js';

// One dialog at a time: changes refused together (a page that sends two) share its answer.
let pending = null;

// Shows the dialog; SEND(body) posts {"password", "totp"?} to POST /api/v1/me/reauthenticate
// (api.js's request function, which does not ask again) and throws its ApiError when refused.
// Resolves true once it succeeded, false when the person cancelled.
export function askToReauthenticate(send) {
  if (!pending) pending = showDialog(send).finally(() => { pending = null; });
  return pending;
}

function showDialog(send) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const password = h('input', {type: 'password', autocomplete: 'current-password', required: true});
    const code = h('input', {type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code',
      pattern: '[0-9]{6}', maxlength: '6', spellcheck: 'false'});
    const slot = messageSlot();
    const cancel = h('button', {type: 'button', class: 'secondary'}, 'Cancel');
    const ok = h('button', {type: 'submit', class: 'primary'}, 'Confirm');
    const titleId = `reauth-${Date.now()}`;
    const form = h('form', {method: 'dialog', novalidate: true},
      h('h2', {id: titleId}, 'Confirm it is you'),
      h('p', {}, 'This change needs your password again, because you signed in a while ago.'),
      slot.el,
      field('Password', password),
      field('Code from your authenticator app', code,
        'Six digits. Leave it empty if you sign in without an authenticator app.'),
      h('div', {class: 'actions'}, cancel, ok));
    const dlg = h('dialog', {class: 'dialog', 'aria-labelledby': titleId, id: 'reauth-dialog'}, form);
    let done = false;
    const finish = (yes) => {
      if (done) return;
      done = true;
      password.value = '';
      code.value = '';
      dlg.close();
      dlg.remove();
      if (back && typeof back.focus === 'function') back.focus();
      resolve(yes);
    };
    cancel.addEventListener('click', () => finish(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!password.value) { slot.set('error', 'Enter your password.'); password.focus(); return; }
      const digits = code.value.trim();
      if (digits && !/^[0-9]{6}$/.test(digits)) {
        slot.set('error', 'The code is the six digits your authenticator app shows.');
        code.focus();
        return;
      }
      slot.clear();
      const body = digits ? {password: password.value, totp: digits} : {password: password.value};
      ok.disabled = true;
      try {
        await send(body);
        finish(true);
      } catch (err) {
        ok.disabled = false;
        if (err.status === 401 && err.code !== 'invalid_credentials') { finish(false); return; }
        slot.set('error', err.code === 'invalid_credentials'
          ? 'The password or the code is not right (a code works once: wait for the next one).'
          : err.code === 'throttled'
            ? `Too many attempts. Try again ${retryText(err.retryAfter)}.`
            : err.message);
        code.value = '';
        password.focus();
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    password.focus();
  });
}
