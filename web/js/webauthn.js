// webauthn.js — the browser's passkey calls (navigator.credentials) in the shapes coffer's API
// takes: binary values as base64url without padding, both ways. The checks are the server's
// (the key service verifies every registration and assertion); this only carries the bytes.

export const passkeysSupported = () =>
  typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

const toB64url = (buf) => {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

const fromB64url = (text) => {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const s = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
};

// A new passkey for the options of POST /api/v1/me/passkeys/options; the body of
// POST /api/v1/me/passkeys with NAME.
export async function createPasskey(options, name) {
  const cred = await navigator.credentials.create({publicKey: {
    challenge: fromB64url(options.challenge),
    rp: {id: options.rp.id, name: options.rp.name},
    user: {id: fromB64url(options.user.id), name: options.user.name, displayName: options.user.display_name},
    pubKeyCredParams: options.pub_key_cred_params,
    excludeCredentials: (options.exclude_credentials || []).map((c) => ({type: c.type, id: fromB64url(c.id)})),
    attestation: options.attestation,
    authenticatorSelection: {residentKey: options.resident_key, requireResidentKey: options.resident_key === 'required',
      userVerification: options.user_verification},
    timeout: options.timeout_ms,
  }});
  return {name, client_data_json: toB64url(cred.response.clientDataJSON),
    attestation_object: toB64url(cred.response.attestationObject)};
}

// An assertion for the challenge of POST /api/v1/login/passkey-options: the login body's
// "passkey".
export async function getPasskey(options) {
  const cred = await navigator.credentials.get({publicKey: {
    challenge: fromB64url(options.challenge),
    rpId: options.rp_id,
    userVerification: options.user_verification,
    timeout: options.timeout_ms,
  }});
  const r = cred.response;
  const out = {id: toB64url(cred.rawId), authenticator_data: toB64url(r.authenticatorData),
    client_data_json: toB64url(r.clientDataJSON), signature: toB64url(r.signature)};
  if (r.userHandle && r.userHandle.byteLength > 0) out.user_handle = toB64url(r.userHandle);
  return out;
}

// Words for what navigator.credentials threw (the user cancelled, the device refused, …).
export function passkeyErrorText(err) {
  if (err?.name === 'NotAllowedError') return 'The passkey was not used: the request was cancelled or timed out.';
  if (err?.name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
  if (err?.name === 'SecurityError') return 'This browser refuses passkeys for this address (the site must be reached by its name over a trusted connection).';
  return `The passkey could not be used (${err?.message || err}).`;
}
