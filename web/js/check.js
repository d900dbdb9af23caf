// check.js — the deployment's compliance check, for system administrators: every finding of
// GET /api/v1/admin/check (the same as `coffer check`), the worst first. Every text the server
// sends goes in as text (dom.js), never as markup.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {heading, message, table, errorText} from './ui.js';

const ORDER = ['error', 'warning', 'info', 'ok'];
const STATUS = {error: 'status-disabled', warning: 'status-invited', info: '', ok: 'status-active'};
const SUMMARY = {
  error: ['error', 'Some findings are errors: fix them (coffer check exits 1).'],
  warning: ['warn', 'Nothing is an error; some findings are below the baseline or worth weighing.'],
  info: ['ok', 'Every check passed.'],
  ok: ['ok', 'Every check passed.'],
};

export async function checkView(el, {alive}) {
  const doc = await api.get('/api/v1/admin/check');
  if (!alive()) return;
  const again = h('button', {type: 'button'}, 'Check again');
  again.onclick = () => {
    again.disabled = true;
    checkView(el, {alive}).catch((err) => {
      again.disabled = false;
      replace(el, heading('Compliance'), message('error', errorText(err, 'Checking')));
    });
  };
  const findings = [...doc.findings].sort((a, b) => ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity));
  const rows = findings.map((f) => h('tr', {class: f.severity === 'error' || f.severity === 'warning' ? 'row-warn' : false},
    h('td', {}, h('span', {class: `status ${STATUS[f.severity] || ''}`}, String(f.severity))),
    h('td', {class: 'mono'}, String(f.id)),
    h('td', {}, String(f.seen)),
    h('td', {}, String(f.fix))));
  const s = doc.summary;
  const [kind, text] = SUMMARY[s.worst] || SUMMARY.error;
  replace(el, heading('Compliance', again),
    message(kind, `${text} Errors: ${s.error}, warnings: ${s.warning}, notes: ${s.info}, passed: ${s.ok}.`),
    table('Findings', ['Severity', 'Finding', 'Seen', 'Fix'], rows, {empty: 'No findings.'}),
    h('p', {class: 'hint'}, 'Each finding is described in OPERATIONS.md, "Checking a deployment". The audit chains are verified as you open this page.'));
}
