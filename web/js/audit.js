// audit.js — the audit trails: an organisation's (its own org_admins) and the system's
// (sysadmins). Entries come oldest first in pages; the screen shows
// the newest first, loads the whole chain page by page, and filters it as one types.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {orgName} from './session.js';
import {heading, time} from './ui.js';

const PAGE = 1000;
const MAX_ENTRIES = 20000; // beyond this the screen stops loading; the CLI verifies the rest

async function loadAll(path, alive) {
  const entries = [];
  let after = 0;
  for (;;) {
    const page = await api.get(`${path}?after=${after}&limit=${PAGE}`);
    if (!alive()) return null;
    entries.push(...page.entries);
    if (page.next === null || page.next === undefined || !page.entries.length || entries.length >= MAX_ENTRIES) {
      return {entries, truncated: page.next !== null && page.next !== undefined && entries.length >= MAX_ENTRIES};
    }
    after = page.next;
  }
}

async function auditScreen(el, title, path, alive, names) {
  const all = await loadAll(path, alive);
  if (!all) return;
  const entries = all.entries.slice().reverse();
  const text = h('input', {type: 'search', autocomplete: 'off', placeholder: 'action, user, address, target…'});
  const outcome = h('select', {}, h('option', {value: ''}, 'Any outcome'),
    [...new Set(entries.map((e) => e.outcome))].sort().map((o) => h('option', {value: o}, o)));
  const count = h('p', {class: 'hint', 'aria-live': 'polite'});
  const tbody = h('tbody', {});
  // An organisation's entries name their actor by email (actor_email); the system trail's
  // names come from the account list (NAMES).
  const actor = (e) => e.actor_email || (names && names.get(e.actor)) || e.actor || '—';
  const rows = entries.map((e) => {
    const tr = h('tr', {class: e.outcome === 'success' || e.outcome === 'ok' ? '' : 'row-warn'},
      h('td', {class: 'num'}, String(e.seq)), h('td', {}, time(e.time)),
      h('td', {}, h('span', {title: e.actor}, actor(e))), h('td', {}, e.action),
      h('td', {}, h('span', {class: 'mono'}, e.target || '—')), h('td', {}, e.ip || '—'), h('td', {}, e.outcome));
    tr.dataset.filter = [e.seq, e.action, e.actor, actor(e), e.target, e.ip, e.outcome].join('\n').toLowerCase();
    tr.dataset.outcome = e.outcome;
    return tr;
  });
  tbody.append(...rows);
  const apply = () => {
    const needle = text.value.trim().toLowerCase();
    let shown = 0;
    for (const tr of rows) {
      const hit = (!needle || tr.dataset.filter.includes(needle)) && (!outcome.value || tr.dataset.outcome === outcome.value);
      tr.hidden = !hit;
      shown += hit;
    }
    count.textContent = `${shown} of ${rows.length} entries shown, newest first.${all.truncated ? ` Only the first ${MAX_ENTRIES} entries are loaded.` : ''}`;
  };
  text.addEventListener('input', apply);
  outcome.addEventListener('change', apply);
  apply();
  const tableEl = rows.length
    ? h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': title},
      h('table', {class: 'audit'}, h('caption', {class: 'visually-hidden'}, title),
        h('thead', {}, h('tr', {}, ['#', 'Time', 'Who', 'Action', 'Target', 'Address', 'Outcome'].map((t) => h('th', {scope: 'col'}, t)))),
        tbody))
    : h('p', {class: 'empty'}, 'No entries yet.');
  replace(el, heading(title),
    h('p', {class: 'hint'}, 'Every change and sign-in is recorded here, hash-chained so that an edit or removal is detected (coffer audit verify).'),
    h('div', {class: 'row filters'}, field('Filter', text), field('Outcome', outcome)), count, tableEl);
}

export async function orgAuditView(el, {params, alive}) {
  const name = orgName(params.org);
  await auditScreen(el, `Audit trail · ${name}`, api.orgPath(params.org, 'audit'), alive, null);
}

export async function systemAuditView(el, {alive}) {
  // Sysadmins may list users: show emails instead of ids where known.
  const names = new Map();
  try {
    const users = await api.get('/api/v1/admin/users');
    for (const u of users.users) names.set(u.id, u.email);
  } catch (err) {
    if (err.status === 401) throw err;
  }
  if (!alive()) return;
  await auditScreen(el, 'System audit trail', '/api/v1/admin/audit', alive, names);
}

