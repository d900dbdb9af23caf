// alerts.js — alerts on suspicious activity: the system's (sysadmins) and an organisation's
// (its own org_admins), newest first, and the count of those not yet looked at, shown as a
// badge on the navigation link. What was looked at is remembered in this browser only.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {orgName} from './session.js';
import {heading, time} from './ui.js';

const PAGE = 200;

const KINDS = {
  signin_failures_account: 'Repeated failed sign-ins of one account',
  signin_failures_address: 'Repeated failed sign-ins from one address',
  new_address: 'Sign-in from a new address',
  unusual_volume: 'A member reading far beyond their usual volume',
  admin_off_hours: 'A sysadmin refused outside the allowed hours or addresses',
  audit_chain: 'An audit trail failed verification',
  backup_failed: 'A backup failed',
};

function seenKey(scope) { return `coffer.alerts.seen.${scope}`; }

function seen(scope) {
  try { return Number(localStorage.getItem(seenKey(scope)) || 0); } catch { return 0; }
}

function markSeen(scope, id) {
  try { localStorage.setItem(seenKey(scope), String(id)); } catch { /* private mode */ }
}

// How many alerts of SCOPE are newer than the last one looked at (up to PAGE).
export async function unseenAlerts(path, scope) {
  const page = await api.get(`${path}?limit=${PAGE}`);
  const last = seen(scope);
  return page.alerts.filter((a) => a.id > last).length;
}

async function alertsScreen(el, title, path, scope, alive) {
  const page = await api.get(`${path}?limit=${PAGE}`);
  if (!alive()) return;
  const last = seen(scope);
  const rows = page.alerts.map((a) => h('tr', {class: a.id > last ? 'row-warn' : ''},
    h('td', {}, time(a.time)),
    h('td', {}, h('span', {title: a.kind}, KINDS[a.kind] || a.kind)),
    h('td', {}, h('span', {class: a.subject_email ? '' : 'mono', title: a.subject}, a.subject_email || a.subject)),
    h('td', {}, a.detail)));
  const table = rows.length
    ? h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': title},
      h('table', {class: 'alerts'}, h('caption', {class: 'visually-hidden'}, title),
        h('thead', {}, h('tr', {}, ['Time', 'Alert', 'About', 'Detail'].map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', {}, rows)))
    : h('p', {class: 'empty'}, 'No alerts.');
  if (page.alerts.length) markSeen(scope, page.alerts[0].id);
  replace(el, heading(title),
    h('p', {class: 'hint'}, 'coffer raises an alert when what it records looks wrong: repeated failed sign-ins, a sign-in from a new address, unusual reading, an altered audit trail. Each is also in the audit trail. Alerts new since you last looked are highlighted.'),
    table);
}

export async function orgAlertsView(el, {params, alive}) {
  await alertsScreen(el, `Alerts · ${orgName(params.org)}`, api.orgPath(params.org, 'alerts'), `org.${params.org}`, alive);
}

export async function systemAlertsView(el, {alive}) {
  await alertsScreen(el, 'Alerts', '/api/v1/admin/alerts', 'system', alive);
}
