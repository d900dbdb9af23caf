// passkeys.js — the account's passkeys: register one with a name, list them, remove one. A
// passkey signs in beside the password in place of the authenticator code (signin.js).
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {heading, message, messageSlot, errorText, busy, confirmDialog, table, time, toast} from './ui.js';
import {createPasskey, passkeysSupported, passkeyErrorText} from './webauthn.js';

const NAME_MAX = 64;

export async function passkeysView(el, {alive}) {
  const slot = messageSlot();
  const list = h('div');
  const name = h('input', {type: 'text', maxlength: String(NAME_MAX), required: true, autocomplete: 'off',
    value: 'My passkey'});
  const add = h('button', {type: 'submit', class: 'primary'}, 'Add a passkey');
  const form = h('form', {class: 'card narrow', novalidate: true},
    field('Name', name, 'So you can tell your passkeys apart, e.g. "Work laptop" or "Security key".'),
    h('div', {class: 'actions'}, add));

  const draw = async () => {
    const {passkeys} = await api.get('/api/v1/me/passkeys');
    if (!alive()) return;
    replace(list, table('Your passkeys', ['Name', 'Added', 'Key', 'Actions'], passkeys.map((p) => [
      p.name, time(p.created_at), p.algorithm,
      h('button', {type: 'button', class: 'link-button danger', 'aria-label': `Remove the passkey ${p.name}`,
        onclick: () => remove(p)}, 'Remove'),
    ]), {empty: 'No passkeys yet: you sign in with your authenticator app.'}));
  };

  const remove = async (p) => {
    if (!await confirmDialog('Remove this passkey?', `"${p.name}" will no longer sign you in.`, 'Remove passkey')) return;
    try {
      await api.del(`/api/v1/me/passkeys/${encodeURIComponent(p.id)}`);
      toast('Passkey removed.');
      await draw();
    } catch (err) {
      slot.set('error', err.code === 'admin_needs_totp'
        ? 'This is your last second factor, and an administrator always needs one: add another passkey (or keep your authenticator app) first.'
        : errorText(err, 'Removing the passkey'));
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const label = name.value.trim();
    if (!label || new TextEncoder().encode(label).length > NAME_MAX) {
      slot.set('error', `Give the passkey a name of 1 to ${NAME_MAX} characters.`);
      name.focus();
      return;
    }
    slot.clear();
    try {
      const options = await busy(form, api.post('/api/v1/me/passkeys/options'));
      let body;
      try {
        body = await createPasskey(options, label);
      } catch (err) {
        slot.set('error', passkeyErrorText(err));
        return;
      }
      await busy(form, api.post('/api/v1/me/passkeys', body));
      slot.set('ok', `The passkey "${label}" has been added. You can now sign in with it instead of a code.`);
      await draw();
    } catch (err) {
      slot.set('error', errorText(err, 'Adding the passkey'));
    }
  });

  replace(el, heading('Passkeys'),
    h('p', {class: 'hint'}, 'A passkey lives on this computer, your phone or a security key, and signs you in with your password instead of a code from your authenticator app. It cannot be phished: it works only on this site.'),
    passkeysSupported() ? null : message('warn', 'This browser does not offer passkeys.'),
    slot.el, passkeysSupported() ? form : null, list);
  await draw();
}
