// export.js — an organisation's own export (its org_admins): a passphrase (twice, at least 12
// characters), then a progress bar while the server builds the archive, then a download link.
// The archive is a ZIP encrypted with AES-256 under that passphrase (docs/EXPORTS.md); the
// server never stores the passphrase, so it cannot be recovered: the screen says so. The
// archive can be downloaded once, within 24 hours.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {membership, orgName} from './session.js';
import {heading, messageSlot, errorText, size} from './ui.js';

const MIN_CHARS = 12;
const POLL_MS = 1000;

const chars = (s) => [...s].length;

export async function exportView(el, {params, alive}) {
  const org = params.org;
  const clearance = membership(org)?.clearance || '';
  const slot = messageSlot();
  const pass = h('input', {type: 'password', autocomplete: 'new-password', required: true,
    minlength: String(MIN_CHARS)});
  const again = h('input', {type: 'password', autocomplete: 'new-password', required: true});
  const send = h('button', {type: 'submit', class: 'primary'}, 'Export');
  const progress = h('progress', {max: '100', value: '0', 'aria-label': 'Export progress'});
  const progressText = h('span', {class: 'hint', 'aria-live': 'polite'});
  const progressBox = h('div', {class: 'progress', hidden: true}, progress, progressText);
  const result = h('div', {});
  const form = h('form', {class: 'card', novalidate: true},
    h('h2', {}, 'Make an export'),
    h('p', {class: 'hint'}, `Everything your clearance (${clearance}) reads: every record with its history, every file under its own name, and the audit trail, in one ZIP archive encrypted with AES-256 under the passphrase below. What lies above your clearance is left out, and the archive's manifest says how much.`),
    h('div', {class: 'row'},
      field('Passphrase', pass, `At least ${MIN_CHARS} characters. coffer does not keep it: without it the archive cannot be opened.`),
      field('Passphrase again', again)),
    progressBox,
    h('div', {class: 'actions'}, send));

  const follow = async (id) => {
    progressBox.hidden = false;
    for (;;) {
      if (!alive()) return;
      let s;
      try {
        s = await api.get(api.orgPath(org, 'exports', api.seg(id)));
      } catch (err) {
        slot.set('error', errorText(err, 'Following the export'));
        send.disabled = false;
        return;
      }
      if (!alive()) return;
      const pct = s.total > 0 ? Math.floor((100 * s.done) / s.total) : 0;
      progress.value = s.status === 'done' ? 100 : pct;
      progressText.textContent = s.status === 'queued' ? 'Waiting for its turn…'
        : s.status === 'running' ? `${pct}% · ${s.done} of ${s.total} items` : '';
      if (s.status === 'done') {
        const link = h('a', {href: api.orgPath(org, 'exports', api.seg(id), 'download'),
          download: `coffer-export-${id}.zip`, class: 'button primary'}, 'Download the archive');
        link.addEventListener('click', () => {
          setTimeout(() => replace(result, h('p', {class: 'hint'}, 'Your browser is downloading the archive. Once all of it has been sent, the server removes its copy: keep the file, and the passphrase, safe.')), 500);
        });
        replace(result, h('div', {class: 'card'},
          h('p', {}, `The archive is ready (${size(s.size)}). It can be downloaded once, until ${new Date(s.expires_at).toLocaleString()}.`),
          link));
        send.disabled = false;
        return;
      }
      if (s.status === 'failed') {
        slot.set('error', `The export stopped (${s.error}). If your session ended or your role changed meanwhile, sign in and try again.`);
        progressBox.hidden = true;
        send.disabled = false;
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    slot.clear();
    replace(result);
    if (chars(pass.value) < MIN_CHARS) {
      slot.set('error', `The passphrase needs at least ${MIN_CHARS} characters.`);
      pass.focus();
      return;
    }
    if (pass.value !== again.value) {
      slot.set('error', 'The two passphrases differ.');
      again.focus();
      return;
    }
    send.disabled = true;
    let id;
    try {
      ({id} = await api.post(api.orgPath(org, 'exports'), {passphrase: pass.value}));
    } catch (err) {
      slot.set('error', errorText(err, 'The export'));
      send.disabled = false;
      return;
    } finally {
      pass.value = '';
      again.value = '';
    }
    progress.value = 0;
    await follow(id);
  });
  replace(el, heading(`Export · ${orgName(org)}`), slot.el, form, result);
}
