// app.js — the application's entry: finds out who is signed in, draws the top bar, renders the
// screen for the current route, and notices when the session ends under an open page.
import * as api from './api.js';
import {h, replace} from './dom.js';
import {route, parseHash, match, navigate, onNavigate, href} from './router.js';
import {session, setSession, signedIn, isSysadmin, orgs, membership, isOrgAdmin,
  homeHash} from './session.js';
import {heading, message, errorText, toast} from './ui.js';
import {signinView, setSigninNotice} from './signin.js';
import {inviteView} from './invite.js';
import {resetView} from './reset.js';
import {passwordView} from './password.js';
import {passkeysView} from './passkeys.js';
import {sessionsView} from './sessions.js';
import {recordsView, recordView, recordEditView, recordNewView, historyView} from './records.js';
import {filesView} from './files.js';
import {orgAuditView, systemAuditView} from './audit.js';
import {orgAlertsView, systemAlertsView, unseenAlerts} from './alerts.js';
import {orgPolicyView, systemPolicyView} from './policy.js';
import {adminOrgsView, adminInvitesView, adminUsersView} from './admin.js';
import {backupsView} from './backups.js';
import {checkView} from './check.js';
import {peopleView} from './people.js';
import {memberRulesView} from './people_rules.js';
import {showNotices} from './notices.js';
import {exportView} from './export.js';

// How often an open page asks whether its session still stands (a disabled account, a sign-out
// elsewhere), while someone is using it. A page left alone stops asking, so that the server's
// idle timeout still ends an unattended session; the next keypress or click checks at once.
const POLL_MS = 5000;
const ACTIVE_MS = 10 * 60 * 1000;

route('/signin', signinView, {access: 'public'});
route('/password', passwordView);
route('/account', passwordView);
route('/passkeys', passkeysView);
route('/sessions', sessionsView);
route('/welcome', welcomeView);
route('/orgs/:org/records', recordsView);
route('/orgs/:org/records/new', recordNewView);
route('/orgs/:org/records/:id', recordView);
route('/orgs/:org/records/:id/edit', recordEditView);
route('/orgs/:org/records/:id/history', historyView);
route('/orgs/:org/files', filesView);
route('/orgs/:org/people', peopleView, {access: 'org_admin'});
route('/orgs/:org/people/:user/rules', memberRulesView, {access: 'org_admin'});
route('/orgs/:org/audit', orgAuditView, {access: 'org_admin'});
route('/orgs/:org/alerts', orgAlertsView, {access: 'org_admin'});
route('/orgs/:org/policy', orgPolicyView, {access: 'org_admin'});
route('/orgs/:org/export', exportView, {access: 'org_admin'});
route('/admin/orgs', adminOrgsView, {access: 'sysadmin'});
route('/admin/invites', adminInvitesView, {access: 'sysadmin'});
route('/admin/users', adminUsersView, {access: 'sysadmin'});
route('/admin/policy', systemPolicyView, {access: 'sysadmin'});
route('/admin/audit', systemAuditView, {access: 'sysadmin'});
route('/admin/alerts', systemAlertsView, {access: 'sysadmin'});
route('/admin/backups', backupsView, {access: 'sysadmin'});
route('/admin/check', checkView, {access: 'sysadmin'});

// Pages the server answers at a path of their own, for someone not signed in: the link in an
// invitation and in a sign-in reset.
const LINK_PAGES = [['/invite/', inviteView], ['/reset/', resetView]];
const linkPage = () => LINK_PAGES.find(([prefix]) => location.pathname.startsWith(prefix)) || null;

const main = () => document.getElementById('main');
let currentOrg = null; // the organisation last shown, for the top bar's links
const orgNames = new Map(); // every organisation this page has seen the user in: id → name
let lastCheck = 0; // when the session was last read (ms)
let checking = null; // the session check under way, if any
let renderSeq = 0;
let lastActivity = Date.now();
let ending = false;

function welcomeView(el) {
  replace(el, heading('Welcome'),
    message('info', 'Your account is not a member of any organisation yet. An administrator can add you by sending you an invitation.'));
}

// --- the top bar ---------------------------------------------------------------------------

function navLink(hash, text, current) {
  return h('a', {href: hash, class: 'nav-link', 'aria-current': current ? 'page' : false}, text);
}

// The Alerts link, with a badge counting those not looked at yet (filled in once known; none
// on the alerts screen itself, which marks them looked at).
function alertsLink(hash, path, scope, current) {
  const count = h('span', {class: 'count-badge', hidden: true});
  const link = h('a', {href: hash, class: 'nav-link', 'aria-current': current ? 'page' : false}, 'Alerts', count);
  if (!current) {
    unseenAlerts(path, scope).then((n) => {
      if (n > 0) {
        count.textContent = n >= 200 ? '200+' : String(n);
        count.hidden = false;
        link.setAttribute('aria-label', `Alerts, ${count.textContent} new`);
      }
    }).catch(() => { /* the badge is a hint: the screen says what went wrong */ });
  }
  return link;
}

function drawTopbar(path) {
  const bar = document.getElementById('topbar');
  const brand = h('a', {class: 'brand', href: signedIn() ? homeHash() : '#/signin'}, 'coffer');
  if (!signedIn() || session.mustChangePassword) {
    replace(bar, brand, signedIn() ? accountMenu() : null);
    return;
  }
  const here = `#/${path.join('/')}`;
  const links = [];
  if (isSysadmin()) {
    for (const [p, t] of [['orgs', 'Organisations'], ['invites', 'Invitations'], ['users', 'Users'],
      ['policy', 'System policy'], ['audit', 'System audit'], ['backups', 'Backups'],
      ['check', 'Compliance']]) {
      links.push(navLink(`#/admin/${p}`, t, here.startsWith(`#/admin/${p}`)));
    }
    links.push(alertsLink('#/admin/alerts', '/api/v1/admin/alerts', 'system', here.startsWith('#/admin/alerts')));
  } else if (currentOrg && membership(currentOrg)) {
    const base = href('orgs', currentOrg);
    links.push(navLink(`${base}/records`, 'Records', here.startsWith(`${base}/records`)));
    links.push(navLink(`${base}/files`, 'Files', here.startsWith(`${base}/files`)));
    if (isOrgAdmin(currentOrg)) {
      links.push(navLink(`${base}/people`, 'People', here.startsWith(`${base}/people`)));
      links.push(navLink(`${base}/audit`, 'Audit trail', here.startsWith(`${base}/audit`)));
      links.push(alertsLink(`${base}/alerts`, api.orgPath(currentOrg, 'alerts'), `org.${currentOrg}`, here.startsWith(`${base}/alerts`)));
      links.push(navLink(`${base}/policy`, 'Policy', here.startsWith(`${base}/policy`)));
      links.push(navLink(`${base}/export`, 'Export', here.startsWith(`${base}/export`)));
    }
  }
  replace(bar, brand, orgSwitcher(path), h('nav', {'aria-label': 'Main'}, links), accountMenu());
}

// Members of several organisations switch here: the same section in the other organisation.
function orgSwitcher(path) {
  if (isSysadmin() || orgs().length === 0) return null;
  if (orgs().length === 1) return h('span', {class: 'org-name'}, orgs()[0].name);
  const select = h('select', {id: 'org-switch', 'aria-label': 'Organisation'},
    orgs().map((o) => h('option', {value: o.id, selected: o.id === currentOrg}, o.name)));
  select.addEventListener('change', () => {
    const adminOnly = ['people', 'audit', 'alerts', 'policy', 'export'];
    let section = path[0] === 'orgs' && ['files', ...adminOnly].includes(path[2]) ? path[2] : 'records';
    if (adminOnly.includes(section) && !isOrgAdmin(select.value)) section = 'records';
    navigate(`${href('orgs', select.value)}/${section}`);
  });
  return h('div', {class: 'org-switch'}, select);
}

function accountMenu() {
  const out = h('button', {type: 'button', class: 'link-button', onclick: signOut}, 'Sign out');
  return h('div', {class: 'account'},
    h('span', {class: 'who', title: session.user.role}, session.user.email),
    session.mustChangePassword ? null : h('a', {href: '#/sessions', class: 'nav-link'}, 'Sessions'),
    session.mustChangePassword ? null : h('a', {href: '#/account', class: 'nav-link'}, 'Password'),
    session.mustChangePassword ? null : h('a', {href: '#/passkeys', class: 'nav-link'}, 'Passkeys'),
    out);
}

async function signOut() {
  try { await api.post('/api/v1/logout'); } catch { /* the session is gone either way */ }
  setSession(null);
  setSigninNotice('info', 'You have signed out.');
  navigate('#/signin');
}

// --- rendering -----------------------------------------------------------------------------

function allowed(access, params) {
  switch (access) {
    case 'public': case 'any': return true;
    case 'sysadmin': return isSysadmin();
    case 'member': return !isSysadmin() && membership(params.org) !== null;
    case 'org_admin': return isOrgAdmin(params.org);
    default: return false;
  }
}

async function render() {
  const seq = ++renderSeq;
  const el = main();
  const link = linkPage();
  // The organisations' notices stand above every screen until dismissed (notices.js).
  showNotices(link ? [] : session.notices);
  if (link) {
    drawTopbar([]);
    await link[1](el, {token: decodeURIComponent(location.pathname.slice(link[0].length)),
      alive: () => seq === renderSeq});
    return;
  }
  const {path, query} = parseHash(location.hash);
  const r = match(path);
  if (r?.access === 'public') {
    if (signedIn() && !session.mustChangePassword) { navigate(homeHash(), {replace: true}); return; }
  } else if (!signedIn()) {
    const next = location.hash && location.hash !== '#/' ? `?next=${encodeURIComponent(location.hash)}` : '';
    navigate(`#/signin${next}`, {replace: true});
    return;
  } else if (session.mustChangePassword && path[0] !== 'password') {
    navigate('#/password', {replace: true});
    return;
  }
  if (!r) {
    navigate(signedIn() ? homeHash() : '#/signin', {replace: true});
    return;
  }
  rememberOrgs();
  if (currentOrg && !membership(currentOrg)) currentOrg = null; // removed meanwhile
  if (r.params.org && membership(r.params.org)) currentOrg = r.params.org;
  if (!currentOrg && orgs()[0]) currentOrg = orgs()[0].id;
  drawTopbar(path);
  if (!allowed(r.access, r.params)) {
    replace(el, heading('Not available'), message('error', refusal(r.access, r.params.org)),
      h('p', {}, h('a', {href: homeHash()}, 'Go to your start page')));
    focusHeading();
    return;
  }
  // The server judges every request as the account is now; a change to one's memberships
  // (made by an administrator meanwhile) is noticed here at each move, not only by the poll.
  if (Date.now() - lastCheck > 1000) checkSession();
  replace(el, h('p', {class: 'loading'}, 'Loading…'));
  try {
    await r.view(el, {params: r.params, query, alive: () => seq === renderSeq});
  } catch (err) {
    if (seq !== renderSeq) return;
    if (err?.status === 401 || err?.code === 'password_change_required') return; // handled by the hooks
    replace(el, heading(err?.status === 403 ? 'Not available' : 'Something went wrong'), message('error', errorText(err)));
  }
  if (seq === renderSeq) focusHeading();
}

// Why a route is refused, in words: the promise the server keeps, or the membership missing.
function refusal(access, org) {
  if (isSysadmin()) {
    return access === 'member'
      ? 'System administrators run the service but never see the content of records or files.'
      : "An organisation's people, policy and audit trail are for its own administrators only. A system administrator creates organisations and invites each one's first administrator; after that, the organisation runs itself.";
  }
  const name = org ? (membership(org)?.name || orgNames.get(org)) : null;
  if (org && !membership(org)) {
    return name ? `You are not a member of ${name} any more. An administrator of ${name} can tell you why, or invite you again.`
      : 'You are not a member of this organisation.';
  }
  if (access === 'org_admin') return `Only administrators of ${name} can see this page.`;
  return 'You do not have access to this page.';
}

function rememberOrgs() {
  for (const o of orgs()) orgNames.set(o.id, o.name);
}

function focusHeading() {
  const t = document.getElementById('screen-title');
  if (t && !document.querySelector('dialog[open]') && !t.closest('form')) {
    const active = document.activeElement;
    // Keep the focus where a view put it on purpose (a form's first field).
    if (!active || active === document.body || !main().contains(active)) t.focus({preventScroll: true});
  }
}

// --- the session under an open page --------------------------------------------------------

function sessionEnded() {
  if (ending || !signedIn()) return;
  ending = true;
  setSession(null);
  const {path} = parseHash(location.hash);
  const next = path[0] && path[0] !== 'signin' ? `?next=${encodeURIComponent(location.hash)}` : '';
  setSigninNotice('warn', 'Your session has ended: you were signed out, it expired, or your account was disabled. Sign in again to continue where you were.');
  navigate(`#/signin${next}`);
  ending = false;
}

// Reads the session again (one read at a time); when the account changed, the screen follows.
function checkSession() {
  if (!signedIn() || linkPage()) return Promise.resolve();
  if (!checking) {
    checking = (async () => {
      try {
        const answer = await api.get('/api/v1/session'); // a 401 ends the session (the hook)
        if (!signedIn()) return; // signed out meanwhile
        const before = session.user;
        setSession(answer);
        showNotices(session.notices);
        rememberOrgs();
        if (JSON.stringify(session.user) !== JSON.stringify(before)) accessChanged(before);
      } catch (err) {
        if (err.status !== 401 && err.status !== 0) console.warn('session check:', err.message);
      } finally {
        lastCheck = Date.now();
        checking = null;
      }
    })();
  }
  return checking;
}

// An administrator changed this user's role or clearance in the organisation on screen, or
// removed them from it: say so, and draw the screen again for the access they now have. A form
// being filled in is left as it is (saving it is judged by the server like any request).
function accessChanged(before) {
  const {path} = parseHash(location.hash);
  drawTopbar(path);
  const org = path[0] === 'orgs' ? path[1] : null;
  if (!org) return;
  const was = (before?.orgs || []).find((o) => o.id === org) || null;
  const now = membership(org);
  if (JSON.stringify(was) === JSON.stringify(now)) return;
  toast(now
    ? `Your access to ${now.name} has changed: ${now.role === 'org_admin' ? 'administrator' : 'member'}, cleared for ${now.clearance}.`
    : `You are no longer a member of ${was?.name || 'this organisation'}.`);
  if (!['new', 'edit'].includes(path[path.length - 1])) navigate(location.hash);
}

api.onUnauthenticated(sessionEnded);
api.onForbidden(() => { checkSession(); }); // perhaps a membership changed meanwhile
api.onPasswordChangeRequired(() => {
  session.mustChangePassword = true;
  navigate('#/password');
});
onNavigate(render);

async function boot() {
  for (const ev of ['keydown', 'pointerdown']) {
    addEventListener(ev, () => {
      const wasIdle = Date.now() - lastActivity > ACTIVE_MS;
      lastActivity = Date.now();
      if (wasIdle) checkSession();
    }, {passive: true});
  }
  addEventListener('focus', checkSession);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) checkSession(); });
  setInterval(() => { if (Date.now() - lastActivity < ACTIVE_MS) checkSession(); }, POLL_MS);
  addEventListener('hashchange', render);

  if (!linkPage()) {
    try {
      setSession(await api.get('/api/v1/session', {isPublic: true}));
      lastCheck = Date.now();
    } catch (err) {
      setSession(null);
      if (err.status !== 401) toast(errorText(err, 'Checking your session'));
    }
  }
  await render();
}

boot();
