// api.js — the one way the application talks to coffer: the HTTP API of docs/API.md.
//
// - The session cookie is HttpOnly: this code never sees it. The CSRF token (from the login
//   answer or GET /api/v1/session) is held here, in memory only, and sent as X-CSRF-Token on
//   every request that is not a GET.
// - Errors arrive as {"error": {"code", "message"}} and are thrown as ApiError, with the
//   Retry-After seconds of a 429.
// - A 401 on a signed-in route means the session ended (signed out elsewhere, expired, the
//   account disabled): the app is told, and goes to sign-in remembering where the user was.
//   A 403 password_change_required sends the user to the password change; a 403 forbidden
//   makes the app read the session again, as a membership may have changed meanwhile.
// - A 403 reauthentication_required (a sensitive change, the sign-in too long ago) asks for the
//   password (and a code) again in a dialog (reauth.js), and on success sends the same request
//   once more; cancelled, the error is thrown as it came.

import {askToReauthenticate} from './reauth.js';

let csrfToken = null;
const hooks = {unauthenticated: () => {}, passwordChangeRequired: () => {}, forbidden: () => {}};

export function setCsrfToken(token) { csrfToken = token || null; }
export function csrfHeader() { return csrfToken ? {'X-CSRF-Token': csrfToken} : {}; }
export function onUnauthenticated(fn) { hooks.unauthenticated = fn; }
export function onPasswordChangeRequired(fn) { hooks.passwordChangeRequired = fn; }
export function onForbidden(fn) { hooks.forbidden = fn; }

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // seconds, for 429; else null
  }
}

// The ApiError for an answer of STATUS whose body parsed to DATA (or null), and its
// Retry-After header value.
export function errorFrom(status, data, retryAfterHeader) {
  const e = data && typeof data === 'object' && data.error && typeof data.error === 'object'
    ? data.error : {};
  const code = typeof e.code === 'string' ? e.code : `http_${status}`;
  const message = typeof e.message === 'string' && e.message
    ? e.message : `The server answered ${status}.`;
  const seconds = Number.parseInt(retryAfterHeader || '', 10);
  return new ApiError(status, code, message, Number.isFinite(seconds) ? seconds : null);
}

// Tells the app about an error that ends or blocks the session. PUBLIC requests (sign-in,
// invitations) have no session to lose: their 401 is the answer itself; so is a wrong current
// password on a password change (401 invalid_credentials), which leaves the session standing.
export function notify(err, isPublic) {
  if (err.status === 401 && !isPublic && err.code !== 'invalid_credentials') hooks.unauthenticated(err);
  if (err.status === 403 && err.code === 'password_change_required') hooks.passwordChangeRequired();
  if (err.status === 403 && err.code === 'forbidden' && !isPublic) hooks.forbidden(err);
}

// METHOD PATH with an optional JSON BODY (and HEADERS besides the usual); resolves to the
// parsed answer (null for 204).
export async function api(method, path, body, opts = {}) {
  try {
    return await send(method, path, body, opts);
  } catch (err) {
    if (err.status !== 403 || err.code !== 'reauthentication_required' || opts.isPublic) throw err;
    const again = await askToReauthenticate(
      (creds) => send('POST', '/api/v1/me/reauthenticate', creds, {}));
    if (!again) throw err;
    return send(method, path, body, opts);
  }
}

// One request, as api() describes, without asking for the password again.
async function send(method, path, body, {isPublic = false, headers: extra = {}} = {}) {
  const headers = {'Accept': 'application/json', ...extra};
  if (method !== 'GET' && method !== 'HEAD') Object.assign(headers, csrfHeader());
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.', null);
  }
  let data = null;
  if (resp.status !== 204) {
    try { data = await resp.json(); } catch { data = null; }
  }
  if (resp.ok) return data;
  const err = errorFrom(resp.status, data, resp.headers.get('Retry-After'));
  notify(err, isPublic);
  throw err;
}

// A creation that may be retried: sent with KEY as its Idempotency-Key, and sent again with
// the same key when the server could not answer (503, or the connection failed), so that a
// creation whose answer was lost is found rather than made twice. Three retries, 1, 2 and 4 s
// apart.
export async function createOnce(path, body, key) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api('POST', path, body, {headers: {'Idempotency-Key': key}});
    } catch (err) {
      const retryable = err.status === 503 || err.code === 'network';
      if (!retryable || attempt === 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000 << attempt));
    }
  }
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

// A path segment, escaped (ids come from the server, but never trust a value in a URL).
export const seg = (s) => encodeURIComponent(String(s));
export const orgPath = (org, ...rest) => ['/api/v1/orgs', seg(org), ...rest].join('/');
