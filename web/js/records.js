// records.js — an organisation's confidential records: the list (paged, with a
// filter), one record, the form to create or edit one (with the version check), its history,
// and deletion after a confirmation.
import * as api from './api.js';
import {h, replace, field} from './dom.js';
import {navigate, href} from './router.js';
import {session, levelsFor, membership} from './session.js';
import {heading, messageSlot, badge, time, table, errorText, busy, confirmDialog, toast} from './ui.js';

const PAGE = 25;
const TITLE_MAX = 200;
const BODY_MAX = 1024 * 1024; // bytes of UTF-8

// A user id as the reader can use it: "you", or a short form (members cannot list users).
export function who(id) {
  if (id && session.user && id === session.user.id) return 'you';
  return h('span', {class: 'mono', title: id}, String(id || '').slice(0, 8));
}

export async function recordsView(el, {params, query, alive}) {
  const org = params.org;
  const after = query.get('after') || '';
  const trail = (query.get('trail') || '').split(',').filter(Boolean); // the pages before, for "Previous"
  const q = new URLSearchParams({limit: String(PAGE)});
  if (after) q.set('after', after);
  const page = await api.get(`${api.orgPath(org, 'records')}?${q}`);
  if (!alive()) return;

  const filter = h('input', {type: 'search', placeholder: 'Type to filter by title or level', autocomplete: 'off'});
  const count = h('p', {class: 'hint', 'aria-live': 'polite'});
  const rows = page.records.map((r) => {
    const tr = h('tr', {},
      h('td', {}, h('a', {href: href('orgs', org, 'records', r.id)}, r.title)),
      h('td', {}, badge(r.level)),
      h('td', {}, time(r.updated_at)),
      h('td', {}, who(r.updated_by)),
      h('td', {class: 'num'}, String(r.version)));
    tr.dataset.filter = `${r.title}\n${r.level}`.toLowerCase();
    return tr;
  });
  const list = table('Records', ['Title', 'Level', 'Updated', 'By', 'Version'], rows,
    {empty: after ? 'No more records.' : 'No records yet. Create the first one.', cls: 'records'});
  const applyFilter = () => {
    const needle = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const tr of rows) {
      const hit = !needle || tr.dataset.filter.includes(needle);
      tr.hidden = !hit;
      shown += hit;
    }
    count.textContent = needle ? `${shown} of ${rows.length} records on this page match.` : '';
  };
  filter.addEventListener('input', applyFilter);

  const base = href('orgs', org, 'records');
  // TRAIL is the stack of the earlier pages' starting points ('-' for the first page).
  const pageHref = (start, stack) => (start && start !== '-'
    ? `${base}?after=${encodeURIComponent(start)}&trail=${encodeURIComponent(stack.join(','))}` : base);
  const pager = h('nav', {class: 'pager', 'aria-label': 'Pages of records'},
    after ? h('a', {class: 'button secondary', href: pageHref(trail[trail.length - 1], trail.slice(0, -1))}, '← Previous page') : null,
    page.next ? h('a', {class: 'button secondary', href: pageHref(page.next, [...trail, after || '-'])}, 'Next page →') : null);

  const m = membership(org);
  replace(el,
    heading(`Records · ${m.name}`, h('a', {class: 'button primary', href: `${base}/new`}, 'New record')),
    h('p', {class: 'hint'}, `You see records up to your clearance: ${m.clearance}.`),
    field('Filter this page', filter), count, list, pager);
}

export async function recordView(el, {params, alive}) {
  const {org, id} = params;
  const rec = await api.get(api.orgPath(org, 'records', api.seg(id)));
  if (!alive()) return;
  const base = href('orgs', org, 'records', id);
  const slot = messageSlot();
  const delBtn = h('button', {type: 'button', class: 'danger'}, 'Delete');
  delBtn.addEventListener('click', async () => {
    const yes = await confirmDialog('Delete this record?',
      `“${rec.title}” and its history will be deleted. This cannot be undone.`, 'Delete record');
    if (!yes) return;
    try {
      await api.del(api.orgPath(org, 'records', api.seg(id)));
      toast('The record has been deleted.');
      navigate(href('orgs', org, 'records'));
    } catch (err) {
      slot.set('error', errorText(err, 'Deleting the record'));
    }
  });
  replace(el,
    h('p', {class: 'crumbs'}, h('a', {href: href('orgs', org, 'records')}, '← All records')),
    heading(rec.title),
    h('p', {class: 'meta'}, badge(rec.level), ` Version ${rec.version} · updated `, time(rec.updated_at), ' by ', who(rec.updated_by),
      ' · created ', time(rec.created_at), ' by ', who(rec.created_by)),
    slot.el,
    h('div', {class: 'record-body', tabindex: '0', 'aria-label': 'Record text'}, rec.body || h('em', {}, '(no text)')),
    h('div', {class: 'actions'},
      h('a', {class: 'button primary', href: `${base}/edit`}, 'Edit'),
      h('a', {class: 'button secondary', href: `${base}/history`}, 'History'),
      delBtn));
}

export async function recordNewView(el, {params}) {
  recordForm(el, params.org, null);
}

export async function recordEditView(el, {params, alive}) {
  const rec = await api.get(api.orgPath(params.org, 'records', api.seg(params.id)));
  if (!alive()) return;
  recordForm(el, params.org, rec);
}

const utf8Length = (s) => new TextEncoder().encode(s).length;

// The form for a new record (REC null) or an edit of REC at its version.
function recordForm(el, org, rec) {
  const levels = levelsFor(org);
  const title = h('input', {type: 'text', required: true, maxlength: String(TITLE_MAX * 2), value: rec ? rec.title : ''});
  const level = h('select', {}, levels.map((l) => h('option', {value: l, selected: rec ? rec.level === l : l === 'confidential' || (l === levels[levels.length - 1] && !levels.includes('confidential'))}, l)));
  const body = h('textarea', {rows: '14'});
  body.value = rec ? rec.body : '';
  let version = rec ? rec.version : null;
  const slot = messageSlot();
  const submit = h('button', {type: 'submit', class: 'primary'}, rec ? 'Save changes' : 'Create record');
  const cancelHref = rec ? href('orgs', org, 'records', rec.id) : href('orgs', org, 'records');

  const reload = async () => {
    try {
      const fresh = await api.get(api.orgPath(org, 'records', api.seg(rec.id)));
      title.value = fresh.title;
      level.value = fresh.level;
      body.value = fresh.body;
      version = fresh.version;
      slot.set('info', `Reloaded version ${fresh.version}. Make your changes again and save.`);
      title.focus();
    } catch (err) {
      slot.set('error', errorText(err, 'Reloading the record'));
    }
  };

  const form = h('form', {class: 'card', novalidate: true},
    field('Title', title, `1 to ${TITLE_MAX} characters.`),
    field('Classification', level, 'Who may see it: members cleared for this level or higher.'),
    field('Text', body),
    h('div', {class: 'actions'}, submit, h('a', {class: 'button secondary', href: cancelHref}, 'Cancel')));
  let key = null, keyFor = null; // the Idempotency-Key of a new record, and what it was for
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = title.value.trim();
    const n = [...t].length;
    if (n < 1 || n > TITLE_MAX) {
      slot.set('error', `The title must be 1 to ${TITLE_MAX} characters (it is ${n}).`);
      title.setAttribute('aria-invalid', 'true');
      title.focus();
      return;
    }
    title.removeAttribute('aria-invalid');
    if (utf8Length(body.value) > BODY_MAX) {
      slot.set('error', 'The text is longer than 1 MiB. Shorten it, or upload it as a file instead.');
      body.focus();
      return;
    }
    slot.clear();
    const payload = {title: t, body: body.value, level: level.value};
    try {
      let saved;
      if (rec) {
        saved = await busy(form, api.put(api.orgPath(org, 'records', api.seg(rec.id)), {...payload, version}));
      } else {
        // One key per content: sending the same again (a retry after an error) finds the
        // record the first attempt made; changed content is another creation.
        const sig = JSON.stringify(payload);
        if (sig !== keyFor) { key = crypto.randomUUID(); keyFor = sig; }
        saved = await busy(form, api.createOnce(api.orgPath(org, 'records'), payload, key));
      }
      toast(rec ? 'Your changes have been saved.' : 'The record has been created.');
      navigate(href('orgs', org, 'records', saved.id));
    } catch (err) {
      if (err.code === 'version_conflict') {
        slot.set('warn', 'Someone else changed this record after you opened it, so your changes were not saved. ',
          'Reload to see the latest version (copy your text first if you want to keep it). ',
          h('button', {type: 'button', class: 'secondary', onclick: reload}, 'Reload the latest version'));
      } else {
        slot.set('error', errorText(err, rec ? 'Saving the record' : 'Creating the record'));
      }
    }
  });
  replace(el, h('p', {class: 'crumbs'}, h('a', {href: cancelHref}, rec ? '← Back to the record' : '← All records')),
    heading(rec ? `Edit: ${rec.title}` : 'New record'), slot.el, form);
  title.focus();
}

export async function historyView(el, {params, alive}) {
  const {org, id} = params;
  const [rec, hist] = await Promise.all([
    api.get(api.orgPath(org, 'records', api.seg(id))),
    api.get(api.orgPath(org, 'records', api.seg(id), 'history')),
  ]);
  if (!alive()) return;
  const rows = hist.versions.map((v) => [String(v.version), v.action, badge(v.level), time(v.updated_at), who(v.updated_by)]);
  replace(el, h('p', {class: 'crumbs'}, h('a', {href: href('orgs', org, 'records', id)}, '← Back to the record')),
    heading(`History: ${rec.title}`),
    table('Versions of the record', ['Version', 'Change', 'Level', 'When', 'By'], rows));
}

