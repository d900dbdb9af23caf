// enrol.js — setting up an authenticator app: the QR code (or the secret, to type), then a code
// from the app to confirm it. The last step of accepting an invitation (invite.js) and of
// completing a sign-in reset (reset.js); only the route that confirms the code differs.
import * as api from './api.js';
import {h, replace, field, svgFromText} from './dom.js';
import {heading, message, messageSlot, errorText, busy} from './ui.js';

// Groups a base32 secret in fours, as authenticator apps show them.
const grouped = (s) => String(s).replace(/(.{4})/g, '$1 ').trim();

// ANSWER is the server's enrolment answer ({totp_secret, qr_svg, …}); CONFIRM_PATH the public
// route that takes {"code"}; onDone() runs once the code is accepted. STEP names the step.
export function enrolView(el, {answer, confirmPath, onDone, step = 'Step 2 of 2'}) {
  const qr = svgFromText(answer.qr_svg);
  const secretText = h('code', {class: 'secret', id: 'totp-secret'}, grouped(answer.totp_secret));
  const copyBtn = h('button', {type: 'button', class: 'secondary'}, 'Copy the secret');
  const copied = h('span', {class: 'hint', 'aria-live': 'polite'});
  copyBtn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(answer.totp_secret);
      copied.textContent = 'Copied.';
    } catch {
      // No clipboard permission: select it so that the user can copy it themselves.
      getSelection().selectAllChildren(secretText);
      copied.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
    }
  });
  const code = h('input', {type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code',
    pattern: '[0-9]{6}', maxlength: '6', required: true, class: 'code'});
  const slot = messageSlot();
  const form = h('form', {class: 'card narrow', novalidate: true},
    h('h2', {}, `${step}: set up your authenticator app`),
    h('ol', {class: 'steps'},
      h('li', {}, 'Open an authenticator app on your phone (for example FreeOTP, Aegis, Google or Microsoft Authenticator).'),
      h('li', {}, 'Scan this QR code with it, or add an account by hand with the secret below.'),
      h('li', {}, 'Type the 6-digit code the app then shows.')),
    h('figure', {class: 'qr'}, qr ? h('div', {class: 'qr-box', role: 'img', 'aria-label': 'QR code for your authenticator app'}, qr)
      : message('warn', 'The QR code cannot be shown: use the secret below.'),
    h('figcaption', {}, 'Secret: ', secretText, ' ', copyBtn, ' ', copied)),
    field('Code from the app', code),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Confirm and activate')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!/^[0-9]{6}$/.test(code.value.trim())) {
      slot.set('error', 'Type the 6 digits your app shows.');
      code.focus();
      return;
    }
    slot.clear();
    try {
      await busy(form, api.post(confirmPath, {code: code.value.trim()}, {isPublic: true}));
      onDone();
    } catch (err) {
      code.value = '';
      slot.set('error', err.status === 401 || err.code === 'invalid_credentials' || err.status === 400
        ? 'That code is not right. Check that the app shows the account for coffer and type the code it shows now.'
        : errorText(err, 'Confirming the code'));
      code.focus();
    }
  });
  replace(el, heading('Set up your authenticator'), slot.el, form);
  code.focus();
}
