// login_rules.js — the "where and when" of signing in: allowed address blocks, days, hours and
// the time zone they are read in. The organisation's policy has them (policy.js), and so has a
// member's own login policy, which narrows the organisation's for one person. Checked here the
// way the server checks them (src/signin/org_policy.c), so that a mistake is shown next to its
// field before saving; the server checks again.
import {h} from './dom.js';
import {check} from './form_errors.js';

export const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
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

// The rules that add nothing: what GET answers for a member with no login policy of their own.
export const ALLOW_ALL = Object.freeze({allowed_cidrs: ['0.0.0.0/0', '::/0'], allowed_days: DAYS.map(([k]) => k),
  allowed_hours: {from: '00:00', to: '24:00'}, timezone: 'Europe/London'});

// The rules in a few words: "addresses 10.0.0.0/8; Monday to Friday, 08:00–18:00 (Europe/Paris)".
export function describeRules(login) {
  const everywhere = login.allowed_cidrs.some((c) => /^(0\.0\.0\.0|::)\/0$/.test(c));
  const where = everywhere && login.allowed_cidrs.length >= 2 ? 'from any address' : `from ${login.allowed_cidrs.join(', ')}`;
  const days = login.allowed_days.length === 7 ? 'every day'
    : DAYS.filter(([k]) => login.allowed_days.includes(k)).map(([, n]) => n).join(', ') || 'no day';
  const {from, to} = login.allowed_hours;
  const hours = from === '00:00' && to === '24:00' ? 'at any hour' : `from ${from} until ${to}`;
  return `${where}; ${days}, ${hours} (${login.timezone})`;
}

// The fieldset for LOGIN ({allowed_cidrs, allowed_days, allowed_hours: {from, to}, timezone}),
// its errors shown through ERRORS (form_errors.js); WHO names the people it applies to.
// validate() (after ERRORS.reset()) returns the rules as the server takes them; noDays() says
// none is chosen, firstDay() is the control to focus then; serverError(NAME, TEXT) shows the
// server's complaint about the field NAME ('allowed_cidrs', 'allowed_hours.from', …) next to it
// and returns its control, or null for a name it does not know.
export function loginRulesFieldset(login, errors, {who = 'members'} = {}) {
  const cidrs = h('textarea', {rows: '4', spellcheck: 'false', class: 'mono'});
  cidrs.value = login.allowed_cidrs.join('\n');
  const days = DAYS.map(([k]) => h('input', {type: 'checkbox', value: k, checked: login.allowed_days.includes(k)}));
  const hhmm = (value) => h('input', {type: 'text', inputmode: 'numeric', pattern: '[0-9]{2}:[0-9]{2}', size: '5', class: 'short', value});
  const from = hhmm(login.allowed_hours.from);
  const to = hhmm(login.allowed_hours.to);
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const tz = h('input', {type: 'text', list: 'tz-list', value: login.timezone, spellcheck: 'false', autocomplete: 'off'});
  const tzList = h('datalist', {id: 'tz-list'}, zones.map((z) => h('option', {value: z})));
  const dayErr = h('p', {class: 'field-error'});
  const el = h('fieldset', {}, h('legend', {}, 'Where and when'),
    errors.wrap('Allowed addresses', cidrs, 'One address or block per line, e.g. 192.0.2.0/24 or 2001:db8::/32. 0.0.0.0/0 and ::/0 allow everywhere.'),
    h('fieldset', {class: 'days'}, h('legend', {}, `Days on which ${who} may sign in`),
      DAYS.map(([, name], i) => check(name, days[i]))),
    dayErr,
    h('div', {class: 'row'}, errors.wrap('From (HH:MM)', from, '00:00 to 23:59'), errors.wrap('Until (HH:MM)', to, '00:01 to 24:00')),
    errors.wrap('Time zone', tz, 'The zone the hours and days are read in, e.g. Europe/London.'), tzList);

  const chosen = () => days.filter((d) => d.checked).map((d) => d.value);
  const validate = () => {
    const list = cidrs.value.split('\n').map((s) => s.trim()).filter(Boolean);
    const wrong = list.filter((c) => !cidrValid(c));
    if (wrong.length) errors.fail(cidrs, `Not an address or block with zero host bits: ${wrong.join(', ')}`);
    else if (list.length > CIDRS_MAX) errors.fail(cidrs, `At most ${CIDRS_MAX} entries.`);
    else if (!list.length) errors.fail(cidrs, 'List at least one address or block, or no one can sign in.');
    const f = minutes(from.value, false), t = minutes(to.value, true);
    if (f === null) errors.fail(from, 'Must be HH:MM, 00:00 to 23:59.');
    if (t === null) errors.fail(to, 'Must be HH:MM, 00:01 to 24:00.');
    if (f !== null && t !== null && f === t) errors.fail(to, "'From' and 'until' must differ.");
    if (!zoneValid(tz.value.trim())) errors.fail(tz, 'Not a time zone this browser knows (e.g. Europe/London, America/New_York, UTC).');
    dayErr.textContent = chosen().length ? '' : 'With no day selected, no one can sign in.';
    return {allowed_cidrs: list, allowed_days: chosen(), allowed_hours: {from: from.value, to: to.value}, timezone: tz.value.trim()};
  };
  const serverError = (name, text) => {
    if (name === 'allowed_days') {
      dayErr.textContent = text;
      return days[0];
    }
    const control = {allowed_cidrs: cidrs, allowed_hours: to, 'allowed_hours.from': from,
      'allowed_hours.to': to, timezone: tz}[name];
    if (!control) return null;
    errors.fail(control, text);
    return control;
  };
  return {el, validate, noDays: () => !chosen().length, firstDay: () => days[0], serverError};
}
