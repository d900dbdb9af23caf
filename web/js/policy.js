// policy.js — an organisation's policy (its own org_admins) and the system policy
// (sysadmins): the policy form, checked here the way the server checks it
// (src/auth/org_policy.c), so that mistakes are shown next to their field before saving. The
// server checks again and its answer is shown as it gives it.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {orgName} from './session.js';
import {heading, messageSlot, errorText, busy, toast} from './ui.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
export const MIN_LENGTH_MIN = 8;
export const MIN_LENGTH_MAX = 256;
const CIDRS_MAX = 64;

// --- address blocks, as cidr_parse takes them: an address, or address/prefix with zero host
// bits ("10.0.0.0/8", "2001:db8::/32") ---

function ipv4Bytes(s) {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

function ipv6Bytes(s) {
  let head = s, tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
  }
  const words = (part) => {
    if (part === '') return [];
    const out = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = ipv4Bytes(g);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const a = words(head), b = words(tail);
  if (!a || !b) return null;
  if (dbl >= 0 ? a.length + b.length > 7 : a.length !== 8) return null;
  const all = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  return all.flatMap((w) => [w >> 8, w & 255]);
}

export function cidrValid(text) {
  const m = /^([^/]+)(?:\/([0-9]{1,3}))?$/.exec(text);
  if (!m) return false;
  const bytes = m[1].includes(':') ? ipv6Bytes(m[1]) : ipv4Bytes(m[1]);
  if (!bytes) return false;
  const bits = bytes.length * 8;
  if (m[2] !== undefined && (!/^(0|[1-9][0-9]*)$/.test(m[2]) || Number(m[2]) > bits)) return false;
  const prefix = m[2] === undefined ? bits : Number(m[2]);
  for (let i = prefix; i < bits; i++) {
    if (bytes[i >> 3] & (0x80 >> (i & 7))) return false; // a host bit set
  }
  return true;
}

// "HH:MM" in minutes; FROM takes 00:00–23:59, TO 00:01–24:00.
function minutes(text, isTo) {
  const m = /^([0-9]{2}):([0-9]{2})$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59) return null;
  if (isTo ? v < 1 || v > 1440 : v > 1439) return null;
  return v;
}

function zoneValid(tz) {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', {timeZone: tz});
    return true;
  } catch {
    return false;
  }
}

async function policyScreen(el, title, path, system, alive) {
  const p = await api.get(path);
  if (!alive()) return;
  const errors = new Map(); // control → its error element
  const errorOf = (control) => {
    const e = h('p', {class: 'field-error', id: `${control.id}-err`});
    errors.set(control, e);
    return e;
  };

  const totp = h('input', {type: 'checkbox', checked: system || p.require_totp, disabled: system});
  const minLen = h('input', {type: 'number', min: String(MIN_LENGTH_MIN), max: String(MIN_LENGTH_MAX), step: '1',
    required: true, value: String(p.password.min_length), class: 'short'});
  const punct = h('input', {type: 'checkbox', checked: p.password.require_punctuation});
  const common = h('input', {type: 'checkbox', checked: p.password.reject_common});
  const cidrs = h('textarea', {rows: '4', spellcheck: 'false', class: 'mono'});
  cidrs.value = p.login.allowed_cidrs.join('\n');
  const days = DAYS.map(([k]) => h('input', {type: 'checkbox', value: k, checked: p.login.allowed_days.includes(k)}));
  const from = h('input', {type: 'text', inputmode: 'numeric', pattern: '[0-9]{2}:[0-9]{2}', size: '5', class: 'short', value: p.login.allowed_hours.from});
  const to = h('input', {type: 'text', inputmode: 'numeric', pattern: '[0-9]{2}:[0-9]{2}', size: '5', class: 'short', value: p.login.allowed_hours.to});
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const tz = h('input', {type: 'text', list: 'tz-list', value: p.login.timezone, spellcheck: 'false', autocomplete: 'off'});
  const tzList = h('datalist', {id: 'tz-list'}, zones.map((z) => h('option', {value: z})));
  const slot = messageSlot();

  const wrap = (label, control, hint) => {
    const f = field(label, control, hint);
    f.append(errorOf(control));
    return f;
  };
  const check = (label, control, hint) => {
    control.id = control.id || `c${Math.random().toString(36).slice(2)}`;
    return h('div', {class: 'check'}, control, h('label', {for: control.id}, label), hint ? h('p', {class: 'hint'}, hint) : null);
  };
  const dayBox = h('fieldset', {class: 'days'}, h('legend', {}, 'Days on which members may sign in'),
    DAYS.map(([, name], i) => check(name, days[i])));
  const dayErr = h('p', {class: 'field-error'});

  const form = h('form', {class: 'card', novalidate: true},
    h('fieldset', {}, h('legend', {}, 'Sign-in'),
      check('Require an authenticator code (TOTP) at sign-in', totp,
        system ? 'Always on for system administrators.' : 'Strongly recommended. Members without an authenticator enrol one at their next invitation.')),
    h('fieldset', {}, h('legend', {}, 'Passwords'),
      wrap('Minimum length (characters)', minLen, `${MIN_LENGTH_MIN} to ${MIN_LENGTH_MAX}.`),
      check('Require a punctuation character', punct),
      check('Refuse commonly used passwords', common, 'Passwords known from data breaches are always refused.')),
    h('fieldset', {}, h('legend', {}, 'Where and when'),
      wrap('Allowed addresses', cidrs, 'One address or block per line, e.g. 192.0.2.0/24 or 2001:db8::/32. 0.0.0.0/0 and ::/0 allow everywhere.'),
      dayBox, dayErr,
      h('div', {class: 'row'}, wrap('From (HH:MM)', from, '00:00 to 23:59'), wrap('Until (HH:MM)', to, '00:01 to 24:00')),
      wrap('Time zone', tz, 'The zone the hours and days are read in, e.g. Europe/London.'), tzList),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save policy')));

  const validate = () => {
    for (const [control, e] of errors) { e.textContent = ''; control.removeAttribute('aria-invalid'); }
    dayErr.textContent = '';
    const bad = [];
    const fail = (control, text) => {
      const e = errors.get(control);
      e.textContent = text;
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-errormessage', e.id);
      bad.push(control);
    };
    const n = Number(minLen.value);
    if (!/^[0-9]+$/.test(minLen.value) || n < MIN_LENGTH_MIN || n > MIN_LENGTH_MAX) {
      fail(minLen, `Must be a whole number from ${MIN_LENGTH_MIN} to ${MIN_LENGTH_MAX}.`);
    }
    const list = cidrs.value.split('\n').map((s) => s.trim()).filter(Boolean);
    const wrong = list.filter((c) => !cidrValid(c));
    if (wrong.length) fail(cidrs, `Not an address or block with zero host bits: ${wrong.join(', ')}`);
    else if (list.length > CIDRS_MAX) fail(cidrs, `At most ${CIDRS_MAX} entries.`);
    else if (!list.length) fail(cidrs, 'List at least one address or block, or no one can sign in.');
    const f = minutes(from.value, false), t = minutes(to.value, true);
    if (f === null) fail(from, 'Must be HH:MM, 00:00 to 23:59.');
    if (t === null) fail(to, 'Must be HH:MM, 00:01 to 24:00.');
    if (f !== null && t !== null && f === t) fail(to, "'From' and 'until' must differ.");
    if (!zoneValid(tz.value.trim())) fail(tz, 'Not a time zone this browser knows (e.g. Europe/London, America/New_York, UTC).');
    const chosen = days.filter((d) => d.checked).map((d) => d.value);
    if (!chosen.length) dayErr.textContent = 'With no day selected, no one can sign in.';
    return {bad, body: {
      require_totp: system ? true : totp.checked,
      password: {min_length: n, require_punctuation: punct.checked, reject_common: common.checked},
      login: {allowed_cidrs: list, allowed_days: chosen, allowed_hours: {from: from.value, to: to.value}, timezone: tz.value.trim()},
    }};
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const {bad, body} = validate();
    if (bad.length) {
      slot.set('error', 'Some fields need attention: see the messages next to them.');
      bad[0].focus();
      return;
    }
    if (!body.login.allowed_days.length) {
      slot.set('error', 'Choose at least one day: with none, no one could sign in.');
      days[0].focus();
      return;
    }
    try {
      await busy(form, api.put(path, body));
      slot.set('ok', 'The policy has been saved. It applies from the next sign-in.');
      toast('Policy saved.');
    } catch (err) {
      slot.set('error', errorText(err, 'Saving the policy'));
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
