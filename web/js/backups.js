// backups.js — the server's backups, for system administrators: the last success, the next
// nightly run, every snapshot kept and every run that failed, and a button for one now.
// Metadata only: a snapshot's bytes never reach the browser, and opening one needs the master
// key, which is not on this page or on the server's web side.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {heading, message, messageSlot, time, size, table, errorText, busy, toast} from './ui.js';

const POLL_MS = 2000;

export async function backupsView(el, {alive}) {
  const b = await api.get('/api/v1/admin/backups');
  if (!alive()) return;
  const slot = messageSlot();
  const now = h('button', {type: 'button', disabled: b.running}, b.running ? 'Backing up…' : 'Back up now');
  now.onclick = async () => {
    try {
      await busy(now, api.post('/api/v1/admin/backups'));
      toast('A backup has started; it is verified before it is listed.');
      await backupsView(el, {alive});
    } catch (err) {
      slot.set('error', errorText(err, 'Starting a backup'));
    }
  };
  const failed = b.backups.find((x) => x.state === 'failed');
  const newestFailed = failed && (!b.last_success || failed.time > b.last_success.time);
  const rows = b.backups.map((x) => [
    time(x.time),
    x.state === 'failed'
      ? h('span', {class: 'status status-disabled'}, 'failed')
      : h('span', {class: 'status status-active'}, 'verified'),
    x.state === 'failed' ? '' : h('span', {class: 'num'}, size(x.size)),
    x.state === 'failed' ? x.error : x.name,
  ]);
  replace(el, heading('Backups', now), slot.el,
    newestFailed ? message('error', `The last backup failed: ${failed.error}. It is tried again at the next run.`) : null,
    h('dl', {class: 'facts'},
      h('dt', {}, 'Last success'), h('dd', {}, b.last_success ? `${time(b.last_success.time)} (${size(b.last_success.size)})` : 'none yet'),
      h('dt', {}, 'Next nightly run'), h('dd', {}, `${time(b.next_run)} (${b.backup_at} ${b.time_zone})`),
      h('dt', {}, 'Kept for'), h('dd', {}, `${b.keep_days} days (the newest is always kept)`)),
    table('Backups', ['Time', 'State', 'Size', 'Snapshot'], rows, {empty: 'No backups yet.'}),
    h('p', {class: 'hint'}, 'Each snapshot is encrypted under a key derived from the master key and checked before it is listed. Restoring one needs the master key, which must be kept somewhere else than the snapshots (coffer backup restore).'));
  if (b.running) {
    setTimeout(() => { if (alive()) backupsView(el, {alive}).catch(() => {}); }, POLL_MS);
  }
}
