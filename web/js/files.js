// files.js — an organisation's files: upload with a progress bar (the browser
// streams the file as the raw body, however large), the list, download (a plain link: the
// server answers Content-Disposition: attachment), deletion after a confirmation.
import * as api from './api.js';
import {h, replace, field, append} from './dom.js';
import {levelsFor, membership} from './session.js';
import {heading, messageSlot, badge, time, size, errorText, confirmDialog, toast, retryText} from './ui.js';
import {who} from './records.js';

// RFC 8187's attr-char: the bytes a name may keep as they are in filename*.
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

// The header a file's name travels in (RFC 6266: attachment; filename*=UTF-8''<name>, its UTF-8
// bytes percent-encoded): a name is confidential, and a URL is what proxies log.
// encodeURIComponent is not used: it leaves ' ( ) * as they are, which filename* does not allow.
function disposition(name) {
  let encoded = '';
  for (const byte of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `attachment; filename*=UTF-8''${encoded}`;
}

// Sends FILE with XMLHttpRequest, whose upload.onprogress fetch() does not offer. Resolves to
// the new file's metadata; rejects with an ApiError. The returned abort() cancels.
function upload(org, file, level, onProgress) {
  const xhr = new XMLHttpRequest();
  const q = new URLSearchParams({level});
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', `${api.orgPath(org, 'files')}?${q}`);
    for (const [k, v] of Object.entries(api.csrfHeader())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Content-Disposition', disposition(file.name));
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) { resolve(data); return; }
      const err = api.errorFrom(xhr.status, data, xhr.getResponseHeader('Retry-After'));
      api.notify(err, false);
      reject(err);
    };
    xhr.onerror = () => reject(new api.ApiError(0, 'network', 'The upload was interrupted: the server cannot be reached.', null));
    xhr.onabort = () => reject(new api.ApiError(0, 'aborted', 'The upload was cancelled.', null));
    xhr.send(file);
  });
  return {promise, abort: () => xhr.abort()};
}

export async function filesView(el, {params, alive}) {
  const org = params.org;
  const first = await api.get(`${api.orgPath(org, 'files')}?limit=100`);
  if (!alive()) return;
  const m = membership(org);
  const levels = levelsFor(org);
  const slot = messageSlot();

  // --- upload ---
  const input = h('input', {type: 'file', required: true});
  const level = h('select', {}, levels.map((l) => h('option', {value: l, selected: l === 'confidential'}, l)));
  const progress = h('progress', {max: '100', value: '0', 'aria-label': 'Upload progress'});
  const progressText = h('span', {class: 'hint', 'aria-live': 'polite'});
  const progressBox = h('div', {class: 'progress', hidden: true}, progress, progressText);
  const send = h('button', {type: 'submit', class: 'primary'}, 'Upload');
  const cancel = h('button', {type: 'button', class: 'secondary', hidden: true}, 'Cancel upload');
  let current = null;
  cancel.addEventListener('click', () => current?.abort());
  const form = h('form', {class: 'card', novalidate: true},
    h('h2', {}, 'Upload a file'),
    h('div', {class: 'row'}, field('File', input), field('Classification', level)),
    progressBox,
    h('div', {class: 'actions'}, send, cancel));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = input.files[0];
    if (!file) { slot.set('error', 'Choose a file to upload.'); input.focus(); return; }
    slot.clear();
    send.disabled = input.disabled = level.disabled = true;
    cancel.hidden = false;
    progressBox.hidden = false;
    progress.value = 0;
    progressText.textContent = `Uploading ${file.name}…`;
    const started = Date.now();
    current = upload(org, file, level.value, (done, total) => {
      const pct = total ? Math.floor((done / total) * 100) : 0;
      progress.value = pct;
      const secs = (Date.now() - started) / 1000;
      const rate = secs > 0 ? ` · ${size(Math.round(done / secs))}/s` : '';
      progressText.textContent = `${pct}% · ${size(done)} of ${size(total)}${rate}`;
    });
    try {
      const meta = await current.promise;
      progress.value = 100;
      progressText.textContent = 'Done.';
      toast(`${meta.name} has been uploaded.`);
      input.value = '';
      addRows([meta], true);
    } catch (err) {
      if (err.code === 'aborted') slot.set('info', 'The upload was cancelled.');
      else if (err.code === 'too_large') slot.set('error', `This file is larger than the server accepts. ${err.message}`);
      else if (err.code === 'throttled') slot.set('error', `Too many requests: try again ${retryText(err.retryAfter)}.`);
      else if (err.status !== 401) slot.set('error', errorText(err, 'Uploading the file'));
      progressBox.hidden = true;
    } finally {
      current = null;
      send.disabled = input.disabled = level.disabled = false;
      cancel.hidden = true;
    }
  });

  // --- list ---
  const tbody = h('tbody', {});
  const listBox = h('div', {});
  const removeRow = async (f, tr) => {
    const yes = await confirmDialog('Delete this file?', `“${f.name}” will be deleted. This cannot be undone.`, 'Delete file');
    if (!yes) return;
    try {
      await api.del(api.orgPath(org, 'files', api.seg(f.id)));
      tr.remove();
      toast(`${f.name} has been deleted.`);
      if (!tbody.children.length) drawList();
    } catch (err) {
      slot.set('error', errorText(err, 'Deleting the file'));
    }
  };
  const row = (f) => {
    const tr = h('tr', {});
    append(tr, [
      h('td', {}, h('a', {href: api.orgPath(org, 'files', api.seg(f.id)), download: f.name}, f.name)),
      h('td', {}, badge(f.level)),
      h('td', {class: 'num'}, size(f.size)),
      h('td', {}, time(f.created_at)),
      h('td', {}, who(f.created_by)),
      h('td', {}, h('span', {class: 'mono', title: `SHA-256 ${f.sha256}`}, f.sha256.slice(0, 12))),
      h('td', {}, h('button', {type: 'button', class: 'link-button danger-text', 'aria-label': `Delete ${f.name}`,
        onclick: () => removeRow(f, tr)}, 'Delete')),
    ]);
    return tr;
  };
  const drawList = () => {
    if (!tbody.children.length) { replace(listBox, h('p', {class: 'empty'}, 'No files yet.')); return; }
    replace(listBox, h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Files'},
      h('table', {}, h('caption', {class: 'visually-hidden'}, 'Files'),
        h('thead', {}, h('tr', {}, ['Name', 'Level', 'Size', 'Uploaded', 'By', 'SHA-256', ''].map((t) => h('th', {scope: 'col'}, t)))),
        tbody)));
  };
  const addRows = (files, top) => {
    for (const f of files) {
      if (top) tbody.prepend(row(f)); else tbody.append(row(f));
    }
    drawList();
  };
  addRows(first.files, false);
  let next = first.next;
  const more = h('button', {type: 'button', class: 'secondary', hidden: !next}, 'Show more files');
  more.addEventListener('click', async () => {
    try {
      const page = await api.get(`${api.orgPath(org, 'files')}?limit=100&after=${encodeURIComponent(next)}`);
      addRows(page.files, false);
      next = page.next;
      more.hidden = !next;
    } catch (err) {
      slot.set('error', errorText(err, 'Loading more files'));
    }
  });

  replace(el, heading(`Files · ${m.name}`), slot.el, form, h('h2', {}, 'Files'), listBox, more);
}
