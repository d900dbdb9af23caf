// journey.mjs — coffer's web application in a real browser (Debian's chromium, driven by
// playwright-core): from the bootstrap invitation, through a sysadmin founding an organisation
// with its first org_admin, who works with records and files and then manages the
// organisation's people (invites a member, re-clears, resets and removes them, each change
// holding from the member's next request), to a sysadmin disabling that admin, whose open page
// then finds itself signed out, with the XSS, CSRF and sign-in error cases on the way; then an
// existing user joining a second organisation and switching between the two, a password found
// in the breached list forcing a change, and a sign-in refused by the login policy. Along the
// way: one member's own sign-in rules refusing their open page at once (and not their admin's,
// from the same address), the maximum password age, and the notice every member of an
// organisation gets when the server's operator recovers it (`coffer org recover`).
// Screenshots of each main screen go to build/test-output/browser/. Run: node journey.mjs
import {chromium} from 'playwright-core';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ROOT, COFFER, startCoffer, Authenticator, Runner, assert, sleep} from './harness.mjs';

const SHOTS = join(ROOT, 'build/test-output/browser');
mkdirSync(SHOTS, {recursive: true});
const ADMIN = 'admin@example.test';
// The first org_admin of Smith & Partners (the sysadmin invites them; they invite the rest).
const MEMBER = 'solicitor@example.test';
const ADMIN_PW = 'Bootstrap admin passphrase 1';
const MEMBER_PW = 'Member long passphrase 42';
const XSS = '<img src=x onerror=alert(1)>';

const CLERK = 'clerk@example.test';
const CLERK_PW = 'Clerk of the chambers 2024';
const PARTNER = 'partner@example.test';
const PARTNER_PW = 'Partner passphrase 77 Aug';
const PARTNER_NEW_PW = 'Partner changed it to 88';
const PARALEGAL = 'paralegal@example.test';
const PARALEGAL_PW = 'Paralegal passphrase 2025';
const PARALEGAL_NEW_PW = 'Paralegal after the reset 7';
const LANE_ADMIN = 'head@lane.example.test';
const LANE_ADMIN_PW = 'Lane head of chambers 31';
// Lane & Co's admin comes from an address of their own (coffer believes X-Forwarded-For from
// 127.0.0.1, a trusted proxy here), inside the address rule they set for their organisation;
// everyone else comes from 127.0.0.1.
const LANE_ADMIN_ADDRESS = '10.20.30.40';
// Moss Notaries loses its only administrator, and the server's operator recovers it.
const MOSS_HEAD = 'head@moss.example.test';
const MOSS_HEAD_PW = 'Moss head notary since 2019';
const MOSS_CLERK = 'clerk@moss.example.test';
const MOSS_CLERK_PW = 'Moss clerk of the works 58';
const MOSS_NEW_HEAD = 'new-head@moss.example.test';

// The breached-password list (Pwned Passwords format: SHA1HEX:COUNT, sorted, upper case), named
// in coffer.conf before coffer serve starts; a password joins it later, with a SIGHUP.
const sha1 = (t) => createHash('sha1').update(t).digest('hex').toUpperCase();
const pwnedDir = mkdtempSync(join(tmpdir(), 'coffer-pwned-'));
chmodSync(pwnedDir, 0o711); // read on SIGHUP by the user coffer serve runs as
const pwnedFile = join(pwnedDir, 'pwned.txt');
function writePwned(passwords) {
  const lines = passwords.map((p, i) => `${sha1(p)}:${i + 1}`).sort();
  writeFileSync(`${pwnedFile}.new`, `${lines.join('\r\n')}\r\n`);
  renameSync(`${pwnedFile}.new`, pwnedFile);
}
const PWNED_OTHER = 'Harbour lights 1987 tango';
writePwned(['password1', PWNED_OTHER]);

const run = new Runner();
const t0 = Date.now();
const coffer = await startCoffer(ADMIN, {breached_passwords_file: pwnedFile, trusted_proxies: '127.0.0.1'});
const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--no-proxy-server', '--disable-dev-shm-usage']});

// Every page: no network beyond the server, and every problem the page reports is collected
// (a CSP violation or a script error fails the run), as is every state-changing API request
// (which must carry X-CSRF-Token), and any dialog (alert) at all.
const problems = [];
const unsafe = [];
// A file name that a URL or a naive header would mangle: not ASCII, a quote, parentheses.
const SCRATCH = "Notiz – März's (Entwurf).txt";
const dialogs = [];
async function newPage(name, viewport = {width: 1280, height: 860}, extraHTTPHeaders = {}) {
  const context = await browser.newContext({ignoreHTTPSErrors: true, viewport, acceptDownloads: true, extraHTTPHeaders});
  await context.route((url) => !url.href.startsWith(coffer.base), (route) => route.abort());
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[134]|status of 409|status of 429|status of 400/.test(m.text())) problems.push(`${name} console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`));
  page.on('dialog', (d) => { dialogs.push(`${name}: ${d.type()} ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() !== 'GET' && u.pathname.startsWith('/api/v1/') && u.pathname !== '/api/v1/login'
        && !u.pathname.startsWith('/api/v1/invites/') && !u.pathname.startsWith('/api/v1/resets/')) {
      unsafe.push({name, method: r.method(), path: u.pathname, query: u.search, csrf: r.headers()['x-csrf-token'] || '',
        disposition: r.headers()['content-disposition'] || ''});
    }
  });
  return {context, page};
}
const shot = (page, name) => page.screenshot({path: join(SHOTS, `${name}.png`), fullPage: true});
// A failed step leaves a picture of every open page and says where each one was.
let failures = 0;
run.onFailure = async () => {
  failures++;
  let i = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      const name = `failure-${failures}-page-${++i}`;
      await shot(page, name).catch(() => {});
      const main = await page.locator('main').textContent({timeout: 2000}).catch(() => '');
      console.log(`  ${name}: ${page.url()}: ${(main || '').replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }
};
// A fresh load of the page at HASH (a query makes the URL new, so the app starts afresh).
const go = (page, hash) => page.goto(`${coffer.base}/?t=${Date.now()}${hash}`);
const secretOf = async (page) => (await page.locator('#totp-secret').textContent()).replace(/\s+/g, '');

async function acceptInvite(page, url, password, name) {
  await page.goto(url);
  await page.getByRole('heading', {level: 1, exact: true, name: 'Welcome to coffer'}).waitFor();
  await page.getByLabel('New password', {exact: true}).fill(password);
  await page.getByLabel('New password again').fill(password);
  assert(await page.locator('.rules li.met').count() >= 3, 'password rules shown as met while typing');
  if (name) await shot(page, `${name}-password`);
  await page.getByRole('button', {name: 'Set password'}).click();
  await page.locator('.qr-box svg').waitFor();
  const auth = new Authenticator(await secretOf(page));
  if (name) await shot(page, `${name}-enrol-totp`);
  await page.getByLabel('Code from the app').fill(await auth.code());
  await page.getByRole('button', {name: 'Confirm and activate'}).click();
  await page.getByRole('heading', {level: 1, exact: true, name: 'Your account is ready'}).waitFor();
  return auth;
}

async function signIn(page, email, password, auth) {
  if (!(await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).isVisible())) {
    await go(page, `#/signin`);
  }
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', {exact: true}).fill(password);
  await page.getByLabel('Authenticator code').fill(auth ? await auth.code() : '');
  await page.getByRole('button', {name: 'Sign in'}).click();
}

// A page whose session was ended elsewhere: its next request, following the link NAME, takes it
// to sign-in. The page checks its session every few seconds by itself (web/js/app.js), so it may
// have got there first, the link gone.
async function nextRequestSignsOut(page, name) {
  const signin = page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'});
  const link = page.getByRole('link', {name});
  await link.or(signin).first().waitFor();
  if (await link.isVisible()) {
    await link.click({timeout: 5000}).catch(() => {}); // gone meanwhile: the check was first
  }
  await signin.waitFor();
}

const apiCall = async (page, method, path, body) => page.evaluate(async ({method, path, body}) => {
  const s = await (await fetch('/api/v1/session')).json();
  const r = await fetch(path, {method, headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token},
    body: body === undefined ? undefined : JSON.stringify(body)});
  return {status: r.status, body: r.status === 204 ? null : await r.json()};
}, {method, path, body});

// The screen's visible form controls without a label, and how many h1 it has.
const screenAudit = (page) => page.evaluate(() => {
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') &&
                    !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 80));
  return {unlabelled, h1: document.querySelectorAll('h1').length};
});

let admin, member, adminAuth, memberAuth, memberUrl, orgId, recordId;
try {
  await run.step('bootstrap invitation: password rules, QR code, TOTP enrolment', async () => {
    admin = await newPage('admin');
    adminAuth = await acceptInvite(admin.page, coffer.inviteUrl, ADMIN_PW, 'invite');
    await shot(admin.page, 'invite-done');
  });

  await run.step('sign-in errors: wrong credentials, then throttled with when to retry', async () => {
    const {page} = admin;
    await page.getByRole('link', {name: 'Go to sign-in'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor();
    await shot(page, 'signin');
    await page.getByLabel('Email').fill(ADMIN);
    await page.getByLabel('Password', {exact: true}).fill('not the password');
    await page.getByLabel('Authenticator code').fill('123456');
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.getByText('The email, password or code is not right').waitFor();
    await shot(page, 'signin-wrong');
    // A made-up account: three failures, then 429 with Retry-After (1 s, then doubling: on a
    // slow machine the first window may pass before the next attempt, hence a few more tries).
    let throttledSeen = false;
    for (let i = 0; i < 8 && !throttledSeen; i++) {
      await page.getByLabel('Email').fill('nobody@example.test');
      await page.getByLabel('Password', {exact: true}).fill(`wrong ${i}`);
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/login'));
      await page.getByRole('button', {name: 'Sign in'}).click();
      if ((await answer).status() === 429) { throttledSeen = true; break; }
      await page.getByRole('button', {name: 'Sign in'}).waitFor({state: 'visible'});
      await sleep(100);
    }
    assert(throttledSeen, 'no 429 after 8 failed attempts');
    // Retry-After starts at 1 s: poll every frame so that the message is seen before it ends.
    await page.waitForFunction(() => /Too many failed sign-in attempts.*try again in \d+ seconds? \(at /.test(document.querySelector('main').textContent), null, {polling: 'raf', timeout: 10000});
    await shot(page, 'signin-throttled');
  });

  // The cells of the row of the table that holds TEXT, as text.
  const rowCells = async (page, text) => page.getByRole('row').filter({hasText: text}).first().locator('td').allTextContents();

  await run.step('sysadmin creates an organisation and invites its first org_admin, the one invitation offered', async () => {
    const {page} = admin;
    await page.getByText('You can try again now.').waitFor({timeout: 15000});
    await signIn(page, ADMIN, ADMIN_PW, adminAuth);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Organisations'}).waitFor();
    await page.getByLabel('Name').fill('Smith & Partners');
    await page.getByRole('button', {name: 'Create organisation'}).click();
    await page.getByRole('cell', {name: 'Smith & Partners', exact: true}).waitFor();
    const cells = await rowCells(page, 'Smith & Partners');
    assert(cells[2] === '0' && cells[4].startsWith('not yet'), `a new organisation: ${cells}`);
    await shot(page, 'admin-orgs');
    await page.getByRole('link', {name: 'Invite its first administrator', exact: true}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Invitations'}).waitFor();
    // A sysadmin invites only another sysadmin or an unfounded organisation's first org_admin.
    const roles = await page.getByLabel('Role').locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert(JSON.stringify(roles) === '["sysadmin","org_admin"]', `roles offered: ${roles}`);
    assert(await page.getByLabel('Role').inputValue() === 'org_admin', 'the first org_admin is chosen');
    assert(await page.getByLabel('Organisation').inputValue() !== '', 'the organisation is chosen');
    await page.getByLabel('Email').fill(MEMBER);
    assert(await page.getByLabel('Clearance').inputValue() === 'restricted', 'restricted by default');
    await page.getByRole('button', {name: 'Create invitation'}).click();
    memberUrl = await page.locator('#invite-url').inputValue();
    assert(memberUrl.startsWith(`${coffer.base}/invite/`), `invite url ${memberUrl}`);
    await page.getByText('as the first administrator of Smith & Partners').waitFor();
    await shot(page, 'admin-invite');
    const orgs = await apiCall(page, 'GET', '/api/v1/admin/orgs');
    orgId = orgs.body.orgs[0].id;
    // The server agrees: no member invitations from a sysadmin.
    const refused = await apiCall(page, 'POST', '/api/v1/admin/invites', {email: 'x@example.test', role: 'member', org_id: orgId, clearance: 'public'});
    assert(refused.status === 403 && refused.body.error.code === 'org_owned', `member invite answered ${refused.status}`);
  });

  await run.step('the first org_admin accepts the invitation, enrols TOTP and signs in', async () => {
    member = await newPage('member');
    memberAuth = await acceptInvite(member.page, memberUrl, MEMBER_PW, null);
    await member.page.getByRole('link', {name: 'Go to sign-in'}).click();
    await signIn(member.page, MEMBER, MEMBER_PW, memberAuth);
    await member.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Smith & Partners'}).waitFor();
    await shot(member.page, 'records-empty');
  });

  await run.check('once founded, the organisation is no longer offered for a sysadmin\'s invitation', async () => {
    const {page} = admin;
    await go(page, '#/admin/orgs');
    await page.getByRole('cell', {name: 'Smith & Partners', exact: true}).waitFor();
    const cells = await rowCells(page, 'Smith & Partners');
    assert(cells[2] === '1' && cells[4] === 'yes', `a founded organisation: ${cells}`);
    await go(page, '#/admin/invites');
    await page.getByText('Every organisation has an administrator already').waitFor();
    assert(await page.getByLabel('Role').locator('option[value=org_admin]').isDisabled(), 'no first org_admin to invite');
  });

  await run.step('member creates, views and edits a record; history lists both versions', async () => {
    const {page} = member;
    await page.getByRole('link', {name: 'New record'}).click();
    await page.getByLabel('Title').fill('Tenancy dispute — Flat 2');
    await page.getByLabel('Classification').selectOption('confidential');
    await page.getByLabel('Text').fill('Client: Ms A. Jones\nLandlord withholding deposit.\n\nNext hearing: 14 March.');
    await page.getByRole('button', {name: 'Create record'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Tenancy dispute — Flat 2'}).waitFor();
    recordId = new URL(page.url()).hash.split('/').pop();
    await shot(page, 'record-view');
    await page.getByRole('link', {name: 'Edit'}).click();
    await page.getByLabel('Title').fill('Tenancy dispute — Flat 2 (deposit)');
    await page.getByRole('button', {name: 'Save changes'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Tenancy dispute — Flat 2 (deposit)'}).waitFor();
    await page.getByText('Version 2').waitFor();
    await page.getByRole('link', {name: 'History'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: /^History:/}).waitFor();
    assert(await page.locator('tbody tr').count() === 2, 'two versions in the history');
    await shot(page, 'record-history');
  });

  await run.check('an edit on a stale version shows the conflict and offers to reload', async () => {
    const {page} = member;
    await go(page, `#/orgs/${orgId}/records/${recordId}/edit`);
    await page.getByLabel('Title').waitFor();
    const cur = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/records/${recordId}`);
    const other = await apiCall(page, 'PUT', `/api/v1/orgs/${orgId}/records/${recordId}`,
      {title: 'Changed by a colleague', body: cur.body.body, level: cur.body.level, version: cur.body.version});
    assert(other.status === 200, `concurrent edit ${other.status}`);
    await page.getByLabel('Title').fill('My late edit');
    await page.getByRole('button', {name: 'Save changes'}).click();
    await page.getByText('Someone else changed this record').waitFor();
    await shot(page, 'record-conflict');
    await page.getByRole('button', {name: 'Reload the latest version'}).click();
    await page.getByText('Reloaded version 3').waitFor();
    assert(await page.getByLabel('Title').inputValue() === 'Changed by a colleague', 'reloaded title');
  });

  await run.check('a record titled with HTML shows as text: no element, no alert', async () => {
    const {page} = member;
    await go(page, `#/orgs/${orgId}/records/new`);
    await page.getByLabel('Title').fill(XSS);
    await page.getByLabel('Text').fill('<script>alert(2)</script>');
    await page.getByRole('button', {name: 'Create record'}).click();
    await page.locator('h1', {hasText: XSS}).waitFor();
    assert(await page.locator('h1#screen-title').textContent() === XSS, 'title shown literally');
    assert((await page.locator('.record-body').textContent()).includes('<script>alert(2)</script>'), 'body shown literally');
    await page.getByRole('link', {name: '← All records'}).click();
    await page.getByRole('link', {name: XSS}).waitFor();
    await sleep(300);
    assert(await page.locator('main img, main script').count() === 0, 'no <img> or <script> created');
    assert(dialogs.length === 0, `dialogs fired: ${dialogs.join('; ')}`);
    await shot(page, 'records-xss');
  });

  await run.check('records list: filter box and paging', async () => {
    const {page} = member;
    for (let i = 1; i <= 26; i++) {
      const r = await apiCall(page, 'POST', `/api/v1/orgs/${orgId}/records`, {title: `Bulk note ${String(i).padStart(2, '0')}`, body: 'x', level: i % 2 ? 'internal' : 'public'});
      assert(r.status === 201, `bulk create ${r.status}`);
    }
    await go(page, `#/orgs/${orgId}/records`);
    await page.getByRole('link', {name: 'Next page →'}).waitFor();
    assert(await page.locator('tbody tr').count() === 25, 'a page of 25');
    await page.getByLabel('Filter this page').fill('no such title');
    await page.getByText('0 of 25 records on this page match.').waitFor();
    await page.getByLabel('Filter this page').fill('bulk note');
    const m = /(\d+) of 25 records on this page match/.exec(await page.locator('main').textContent());
    assert(m && Number(m[1]) >= 22 && await page.locator('tbody tr:visible').count() === Number(m[1]), 'filtered rows');
    assert((await page.locator('tbody tr:visible a').allTextContents()).every((t) => t.startsWith('Bulk note')), 'only matches shown');
    await shot(page, 'records-filter');
    await page.getByLabel('Filter this page').fill('');
    await page.getByRole('link', {name: 'Next page →'}).click();
    await page.getByRole('link', {name: '← Previous page'}).waitFor();
    assert(await page.locator('tbody tr').count() === 3, 'the second page holds the rest (28 in all)');
    await page.getByRole('link', {name: '← Previous page'}).click();
    await page.getByRole('link', {name: 'Next page →'}).waitFor();
  });

  await run.step('member uploads a file with a progress bar, downloads it intact, deletes another', async () => {
    const {page} = member;
    await page.getByRole('link', {name: 'Files'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Files · Smith & Partners'}).waitFor();
    const big = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    await page.getByLabel('File', {exact: true}).setInputFiles({name: 'bundle of evidence.pdf', mimeType: 'application/pdf', buffer: big});
    await page.getByLabel('Classification').selectOption('restricted');
    await page.getByRole('button', {name: 'Upload'}).click();
    await page.locator('.progress:not([hidden])').waitFor();
    await shot(page, 'files-uploading');
    await page.getByRole('link', {name: 'bundle of evidence.pdf'}).waitFor({timeout: 60000});
    await page.getByText('Done.').waitFor();
    assert(await page.locator('progress').evaluate((p) => p.value) === 100, 'progress at 100');
    const dl = page.waitForEvent('download');
    await page.getByRole('link', {name: 'bundle of evidence.pdf'}).click();
    const file = await (await dl).path();
    const got = createHash('sha256').update(readFileSync(file)).digest('hex');
    const want = createHash('sha256').update(big).digest('hex');
    assert(got === want, 'downloaded bytes equal the uploaded ones');
    await page.getByLabel('File', {exact: true}).setInputFiles({name: SCRATCH, mimeType: 'text/plain', buffer: Buffer.from('temporary')});
    await page.getByLabel('Classification').selectOption('internal');
    await page.getByRole('button', {name: 'Upload'}).click();
    await page.getByRole('link', {name: SCRATCH, exact: true}).waitFor();
    await shot(page, 'files');
    await page.getByRole('button', {name: `Delete ${SCRATCH}`}).click();
    await page.getByRole('dialog').waitFor();
    await shot(page, 'files-delete-confirm');
    await page.getByRole('button', {name: 'Delete file'}).click();
    await page.getByRole('link', {name: SCRATCH, exact: true}).waitFor({state: 'detached'});
  });

  await run.check('member deletes a record after confirming', async () => {
    const {page} = member;
    await go(page, `#/orgs/${orgId}/records/${recordId}`);
    await page.getByRole('button', {name: 'Delete'}).click();
    await page.getByRole('button', {name: 'Delete record'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Smith & Partners'}).waitFor();
    const r = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/records/${recordId}`);
    assert(r.status === 404, `deleted record answers ${r.status}`);
  });

  await run.check('a phone-sized screen shows the records list and the people readably', async () => {
    const phone = await newPage('phone', {width: 390, height: 844});
    await phone.context.addCookies(await member.context.cookies());
    for (const [section, title] of [['records', 'Records'], ['people', 'People']]) {
      await go(phone.page, `#/orgs/${orgId}/${section}`);
      await phone.page.getByRole('heading', {level: 1, exact: true, name: `${title} · Smith & Partners`}).waitFor();
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(overflow <= 0, `the ${section} page scrolls sideways by ${overflow}px`);
      await shot(phone.page, `phone-${section}`);
    }
    await phone.context.close();
  });

  // --- the organisation's own people, managed by its org_admin -----------------------------

  let paralegal, paralegalAuth, paralegalUrl, resetUrl, memoId;
  const MEMO = 'Strategy memo — settlement range';
  const people = async () => {
    await go(member.page, `#/orgs/${orgId}/people`);
    await member.page.getByRole('heading', {level: 1, exact: true, name: 'People · Smith & Partners'}).waitFor();
  };
  const row = (email) => member.page.locator(`tr[data-email="${email}"]`);

  await run.step('org admin invites a member from People, within their clearance; the link is shown once', async () => {
    const {page} = member;
    await page.getByRole('link', {name: 'People'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'People · Smith & Partners'}).waitFor();
    const me = await row(MEMBER).locator('td').allTextContents();
    assert(me[0] === `${MEMBER} (you)` && me[3] === 'active', `own row: ${me}`);
    assert(await row(MEMBER).getByRole('button', {name: /^Reset sign-in/}).count() === 0, 'no reset of one\'s own sign-in');
    const levels = await page.getByLabel('Clearance', {exact: true}).locator('option').allTextContents();
    assert(levels.join() === 'public,internal,confidential,restricted', `levels offered: ${levels}`);
    await page.getByLabel('Email').fill(PARALEGAL);
    await page.getByLabel('Role', {exact: true}).selectOption('member');
    await page.getByLabel('Clearance', {exact: true}).selectOption('confidential');
    await page.getByRole('button', {name: 'Create invitation'}).click();
    paralegalUrl = await page.locator('#invite-url').inputValue();
    assert(paralegalUrl.startsWith(`${coffer.base}/invite/`), `invite url ${paralegalUrl}`);
    await page.getByText(`Invitation created for ${PARALEGAL}`).waitFor();
    await shot(page, 'people-invite');
    // Shown once: the screen drawn again has no link.
    await page.getByRole('link', {name: 'Records'}).click();
    await page.getByRole('link', {name: 'People'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'People · Smith & Partners'}).waitFor();
    assert(await page.locator('#invite-url').count() === 0, 'the link is not shown again');
  });

  await run.step('the invited member accepts, signs in and reads a confidential record', async () => {
    const memo = await apiCall(member.page, 'POST', `/api/v1/orgs/${orgId}/records`, {title: MEMO, body: 'Settle above 40k.', level: 'confidential'});
    assert(memo.status === 201, `memo ${memo.status}`);
    memoId = memo.body.id;
    paralegal = await newPage('paralegal');
    paralegalAuth = await acceptInvite(paralegal.page, paralegalUrl, PARALEGAL_PW, null);
    const {page} = paralegal;
    await page.getByRole('link', {name: 'Go to sign-in'}).click();
    await signIn(page, PARALEGAL, PARALEGAL_PW, paralegalAuth);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Smith & Partners'}).waitFor();
    await page.getByRole('link', {name: MEMO}).waitFor();
    await page.getByText('You see records up to your clearance: confidential.').waitFor();
    assert(await page.getByRole('link', {name: 'People'}).count() === 0, 'a member has no People screen');
    await people();
    const cells = await row(PARALEGAL).locator('td').allTextContents();
    assert(cells[3] === 'active' && cells[4] !== 'never' && cells[5] === '—', `the new member's row: ${cells}`);
    await shot(member.page, 'people');
    const a = await screenAudit(member.page);
    assert(!a.unlabelled.length && a.h1 === 1, `People: unlabelled ${a.unlabelled.join(' | ')}; ${a.h1} h1`);
  });

  await run.step("re-clear: the admin lowers the member's clearance; the member's next request shows less", async () => {
    await row(PARALEGAL).getByLabel(`Clearance of ${PARALEGAL}`).selectOption('internal');
    await row(PARALEGAL).getByRole('button', {name: `Save changes for ${PARALEGAL}`}).click();
    await member.page.getByText(`${PARALEGAL} is now member, cleared for internal.`).waitFor();
    assert(await row(PARALEGAL).getByLabel(`Clearance of ${PARALEGAL}`).inputValue() === 'internal', 'the row shows the new clearance');
    // The member's page is open on the records list: the next move shows what they may now see.
    const {page} = paralegal;
    await page.getByRole('link', {name: 'Files'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Files · Smith & Partners'}).waitFor();
    await page.getByRole('link', {name: 'Records'}).click();
    await page.getByText('You see records up to your clearance: internal.').waitFor();
    assert(await page.getByRole('link', {name: MEMO}).count() === 0, 'the confidential record is no longer listed');
    // And the record itself is refused, as the server now judges it.
    await go(page, `#/orgs/${orgId}/records/${memoId}`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Not available'}).waitFor();
    await page.getByText('you are not allowed to do this').waitFor();
    await shot(page, 'member-recleared');
  });

  await run.check("the organisation's last active administrator cannot step down: the server's reason is shown", async () => {
    const {page} = member;
    await row(MEMBER).getByLabel(`Role of ${MEMBER}`).selectOption('member');
    await row(MEMBER).getByRole('button', {name: `Save changes for ${MEMBER}`}).click();
    await page.getByRole('dialog').getByText('Stop being an administrator?').waitFor();
    await page.getByRole('button', {name: 'Step down'}).click();
    await page.getByText('no active administrator left').waitFor();
    await shot(page, 'people-last-admin');
    const s = await apiCall(page, 'GET', '/api/v1/session');
    assert(s.body.user.orgs[0].role === 'org_admin', 'still an org_admin');
    await people();
    assert(await row(MEMBER).getByLabel(`Role of ${MEMBER}`).inputValue() === 'org_admin', 'the row says org_admin');
  });

  await run.step("reset: the admin resets the member's sign-in, gets a one-time link to hand over; the member's open page is signed out", async () => {
    const {page} = member;
    await row(PARALEGAL).getByRole('button', {name: `Reset sign-in of ${PARALEGAL}`}).click();
    await page.getByRole('dialog').getByText('stop working at once').waitFor();
    await shot(page, 'people-reset-confirm');
    await page.getByRole('button', {name: 'Reset sign-in', exact: true}).click();
    resetUrl = await page.locator('#reset-url').inputValue();
    assert(resetUrl.startsWith(`${coffer.base}/reset/`), `reset url ${resetUrl}`);
    await page.getByText('by a channel you trust').waitFor();
    await page.getByText('Their old password, authenticator and sessions have stopped working already.').waitFor();
    await row(PARALEGAL).locator('td').nth(5).getByText('pending').waitFor();
    await shot(page, 'people-reset-link');
    // The member's page: the next request finds the session gone (perhaps its own check of
    // the session, every 5 s while in use, before the click on Files).
    await paralegal.page.getByRole('link', {name: 'Files'}).click({timeout: 3000}).catch(() => {});
    await paralegal.page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor();
    await paralegal.page.getByText('Your session has ended').waitFor();
  });

  await run.step('the member completes the reset at /reset/{token}: a new password, a new QR code, a code; then signs in', async () => {
    const {page} = paralegal;
    await page.goto(resetUrl);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Reset your sign-in'}).waitFor();
    await page.getByText(`has reset the sign-in of ${PARALEGAL}`).waitFor();
    await page.getByLabel('New password', {exact: true}).fill(PARALEGAL_NEW_PW);
    await page.getByLabel('New password again').fill(PARALEGAL_NEW_PW);
    await shot(page, 'reset-password');
    await page.getByRole('button', {name: 'Set new password'}).click();
    await page.locator('.qr-box svg').waitFor();
    const fresh = new Authenticator(await secretOf(page));
    assert(fresh.secret !== paralegalAuth.secret, 'a new authenticator secret');
    await shot(page, 'reset-enrol-totp');
    await page.getByLabel('Code from the app').fill(await fresh.code());
    await page.getByRole('button', {name: 'Confirm and activate'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Your sign-in is ready'}).waitFor();
    paralegalAuth = fresh;
    await page.getByRole('link', {name: 'Go to sign-in'}).click();
    await signIn(page, PARALEGAL, PARALEGAL_NEW_PW, paralegalAuth);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Smith & Partners'}).waitFor();
    await people();
    assert((await row(PARALEGAL).locator('td').nth(5).textContent()) === '—', 'no reset pending any more');
  });

  // --- one member's own sign-in rules: they narrow the organisation's, on every request ------

  let paralegalId;
  const rulesOf = async (email) => {
    await people();
    await row(email).getByRole('link', {name: `Sign-in rules of ${email}`}).click();
    await member.page.getByRole('heading', {level: 1, exact: true, name: `Sign-in rules · ${email}`}).waitFor();
  };
  const totpRule = () => member.page.getByLabel('Require an authenticator app for this member');

  await run.step("org admin sets one member's own sign-in rules from their People row", async () => {
    const {page} = member;
    await rulesOf(PARALEGAL);
    paralegalId = new URL(page.url()).hash.split('/')[4];
    // Nothing set yet: the defaults, which add nothing to the organisation's rules.
    assert(await page.getByLabel('Allowed addresses').inputValue() === '0.0.0.0/0\n::/0', 'allow-all by default');
    assert(!(await totpRule().isChecked()), 'no authenticator rule by default');
    await page.getByText('they can only narrow what the organisation allows, never widen it').waitFor();
    await page.getByText('a session from an address, or on a day or at an hour, outside them is refused at once').waitFor();
    await page.getByText('Reset their sign-in (the Reset sign-in button on the People list)').waitFor();
    const a = await screenAudit(page);
    assert(!a.unlabelled.length && a.h1 === 1, `rules: unlabelled ${a.unlabelled.join(' | ')}; ${a.h1} h1`);
    // The member's browser is at 127.0.0.1: outside these blocks.
    await page.getByLabel('Allowed addresses').fill('10.0.0.0/8\n192.0.2.0/24');
    await totpRule().check();
    await page.getByRole('button', {name: 'Save rules'}).click();
    await page.getByText(`The sign-in rules of ${PARALEGAL} have been saved. They hold from their next request`).waitFor();
    await shot(page, 'member-rules');
    const r = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/members/${paralegalId}/login-policy`);
    assert(r.status === 200 && r.body.allowed_cidrs.join() === '10.0.0.0/8,192.0.2.0/24' && r.body.require_totp === true,
      `stored: ${JSON.stringify(r.body)}`);
    // Drawn afresh, the screen shows what is stored.
    await rulesOf(PARALEGAL);
    assert(await page.getByLabel('Allowed addresses').inputValue() === '10.0.0.0/8\n192.0.2.0/24', 'the blocks shown again');
    assert(await totpRule().isChecked(), 'the authenticator rule shown again');
  });

  await run.step("the member's open page is refused at its next request; their admin, at the same address, is not", async () => {
    const {page} = paralegal; // open on the records list, signed in before the rules were set
    await page.getByRole('link', {name: 'Files'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Not available'}).waitFor();
    await page.getByText("This organisation's rules do not allow access from this address at this time.").waitFor();
    await page.getByText('or those its administrators set for you alone').waitFor();
    await shot(page, 'member-rules-refused');
    const r = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/records`);
    assert(r.status === 403 && r.body.error.code === 'login_policy', `records answered ${r.status} ${JSON.stringify(r.body)}`);
    const s = await apiCall(page, 'GET', '/api/v1/session');
    assert(s.status === 200, `the session itself stands: ${s.status}`);
    await go(member.page, `#/orgs/${orgId}/records`);
    await member.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Smith & Partners'}).waitFor();
    await member.page.getByRole('link', {name: MEMO}).waitFor();
  });

  await run.check('an admin cannot save rules of their own that would shut them out: the reason is shown by its field', async () => {
    const {page} = member;
    await rulesOf(MEMBER);
    await page.getByText('These are your own rules.').waitFor();
    await page.getByLabel('Allowed addresses').fill('10.0.0.0/8');
    await page.getByRole('button', {name: 'Save rules'}).click();
    await page.locator('.field-error', {hasText: 'your own address (127.0.0.1) is in none of these blocks'}).waitFor();
    assert(await page.getByLabel('Allowed addresses').getAttribute('aria-invalid') === 'true', 'the field is marked');
    await page.getByRole('alert').filter({hasText: 'Saving the rules failed'}).waitFor();
    await shot(page, 'member-rules-lockout');
    const me = (await apiCall(page, 'GET', '/api/v1/session')).body.user.id;
    const r = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/members/${me}/login-policy`);
    assert(r.body.allowed_cidrs.join() === '0.0.0.0/0,::/0', `nothing stored: ${JSON.stringify(r.body)}`);
  });

  await run.step("the admin removes the member's rules; the member's next request is served again", async () => {
    const {page} = member;
    await rulesOf(PARALEGAL);
    await page.getByRole('button', {name: 'Remove these rules'}).click();
    await page.getByText(`The rules of ${PARALEGAL} have been removed`).waitFor();
    assert(await page.getByLabel('Allowed addresses').inputValue() === '0.0.0.0/0\n::/0', 'allow-all again');
    assert(!(await totpRule().isChecked()), 'no authenticator rule');
    await paralegal.page.getByRole('link', {name: 'Records'}).click();
    await paralegal.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Smith & Partners'}).waitFor();
    await paralegal.page.getByText('You see records up to your clearance').waitFor();
    await people(); // where the next step starts
  });

  await run.check('a used reset link says it cannot be used', async () => {
    const {page} = await newPage('reset-again');
    await page.goto(resetUrl);
    await page.getByRole('heading', {level: 1, exact: true, name: 'This link cannot be used'}).waitFor();
    await page.context().close();
  });

  await run.step("remove: after a confirmation the admin removes the member; the member's next request is refused", async () => {
    const {page} = member;
    await row(PARALEGAL).getByRole('button', {name: `Remove ${PARALEGAL}`}).click();
    await page.getByRole('dialog').getByText(`Remove ${PARALEGAL} from Smith & Partners?`).waitFor();
    await page.getByRole('button', {name: 'Remove member'}).click();
    await page.getByText(`${PARALEGAL} has been removed from Smith & Partners.`).waitFor();
    await row(PARALEGAL).waitFor({state: 'detached'});
    // The member's page is open on the records list. Its next request is refused; that may be
    // its own check of the session (every 5 s while in use), which draws the top bar again
    // without the organisation's links, before the click on Files below.
    await paralegal.page.getByRole('link', {name: 'Files'}).click({timeout: 3000}).catch(() => {});
    await paralegal.page.getByText('You are not a member of Smith & Partners any more.').waitFor();
    assert(await paralegal.page.locator('#topbar nav a').count() === 0, 'the top bar offers nothing of the organisation');
    await shot(paralegal.page, 'member-removed');
    const r = await apiCall(paralegal.page, 'GET', `/api/v1/orgs/${orgId}/records`);
    assert(r.status === 403, `records answered ${r.status}`);
  });

  await run.step('org admin exports the organisation: a passphrase, a progress bar, one download that 7z opens', async () => {
    const {page} = member;
    await go(page, `#/orgs/${orgId}/records`);
    await page.getByRole('link', {name: 'Export'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Export · Smith & Partners'}).waitFor();
    await page.getByLabel('Passphrase', {exact: true}).fill('too short');
    await page.getByLabel('Passphrase again').fill('too short');
    await page.getByRole('button', {name: 'Export', exact: true}).click();
    await page.getByText('The passphrase needs at least 12 characters.').waitFor();
    const pass = 'a journey passphrase for the export';
    await page.getByLabel('Passphrase', {exact: true}).fill(pass);
    await page.getByLabel('Passphrase again').fill(pass);
    await page.getByRole('button', {name: 'Export', exact: true}).click();
    await page.getByRole('link', {name: 'Download the archive'}).waitFor({timeout: 60000});
    assert(await page.locator('progress').evaluate((p) => p.value) === 100, 'progress at 100');
    assert(await page.getByLabel('Passphrase', {exact: true}).inputValue() === '', 'the passphrase is cleared');
    await shot(page, 'export-ready');
    const dl = page.waitForEvent('download');
    await page.getByRole('link', {name: 'Download the archive'}).click();
    const file = await (await dl).path();
    const listing = execFileSync('7z', ['l', '-slt', `-p${pass}`, file], {encoding: 'utf8'});
    assert(listing.includes('Path = manifest.json') && listing.includes('Path = audit.jsonl'), 'the archive lists its members');
    assert(!/Method = (?!AES-256)/.test(listing), 'every member is AES-256');
    const manifest = JSON.parse(execFileSync('7z', ['e', '-so', `-p${pass}`, file, 'manifest.json'], {encoding: 'utf8'}));
    assert(manifest.organisation.name === 'Smith & Partners' && manifest.clearance === 'restricted', JSON.stringify(manifest));
    const again = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/exports/${manifest.export_id}/download`);
    assert(again.status === 404, `a second download answers ${again.status}`);
  });

  await run.step('org admin changes the policy, with validation, and reads the audit trail', async () => {
    const {page} = member;
    await go(page, `#/orgs/${orgId}/records`);
    await page.getByRole('link', {name: 'Policy'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Policy · Smith & Partners'}).waitFor();
    await page.getByText('NIST SP 800-63B advises against forced periodic password changes').waitFor();
    assert(await page.getByLabel('Maximum password age (days)').inputValue() === '0', 'no maximum age by default');
    assert(await page.getByLabel('Minimum length (characters)').inputValue() === '12', 'the floor of 12 is the default');
    await page.getByLabel('Minimum length (characters)').fill('11');
    await page.getByLabel('Maximum password age (days)').fill('4000');
    await page.getByLabel('Allowed addresses').fill('0.0.0.0/0\n::/0\n10.0.0.1/8');
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByRole('button', {name: 'Save policy'}).click();
    await page.getByText('Not an address or block with zero host bits: 10.0.0.1/8').waitFor();
    await page.getByText('Must be a whole number from 12 to 128.').waitFor();
    await page.getByText('Must be a whole number from 0 (never) to 3650.').waitFor();
    await page.getByText('Not a time zone this browser knows').waitFor();
    await shot(page, 'policy-invalid');
    await page.getByLabel('Minimum length (characters)').fill('14');
    await page.getByLabel('Maximum password age (days)').fill('365');
    await page.getByLabel('Allowed addresses').fill('0.0.0.0/0\n::/0\n10.0.0.0/8');
    await page.getByLabel('Time zone').fill('Europe/Paris');
    await page.getByLabel('Require a punctuation character').check();
    // A day that is neither today nor tomorrow in Paris: the rules hold for the admin too.
    const paris = (d) => new Intl.DateTimeFormat('en-GB', {weekday: 'long', timeZone: 'Europe/Paris'}).format(d);
    const soon = [paris(new Date()), paris(new Date(Date.now() + 86400000))];
    const [offDay, offKey] = [['Sunday', 'sun'], ['Wednesday', 'wed']].find(([d]) => !soon.includes(d));
    await page.getByLabel(offDay).uncheck();
    await page.getByRole('button', {name: 'Save policy'}).click();
    await page.getByText('The policy has been saved.').waitFor();
    await shot(page, 'policy-saved');
    const p = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/policy`);
    assert(p.body.password.min_length === 14 && p.body.password.require_punctuation && p.body.login.timezone === 'Europe/Paris'
      && !p.body.login.allowed_days.includes(offKey) && p.body.login.allowed_cidrs.includes('10.0.0.0/8')
      && p.body.password.max_password_age_days === 365, JSON.stringify(p.body));
    // Drawn afresh, the form shows the maximum age, and saving it untouched keeps it.
    await go(page, `#/orgs/${orgId}/policy`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Policy · Smith & Partners'}).waitFor();
    assert(await page.getByLabel('Maximum password age (days)').inputValue() === '365', 'the maximum age shown again');
    await page.getByRole('button', {name: 'Save policy'}).click();
    await page.getByText('The policy has been saved.').waitFor();
    const again = await apiCall(page, 'GET', `/api/v1/orgs/${orgId}/policy`);
    assert(again.body.password.max_password_age_days === 365, `kept: ${JSON.stringify(again.body.password)}`);
    await page.getByRole('link', {name: 'Audit trail'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Audit trail · Smith & Partners'}).waitFor();
    await page.getByLabel('Filter').fill('record.update');
    await page.getByText(/^2 of \d+ entries shown/).waitFor();
    const who = await page.locator('table.audit tbody tr:visible td:nth-child(3)').allTextContents();
    assert(who.length === 2 && who.every((t) => t === MEMBER), `actors named by email: ${who}`);
    await shot(page, 'org-audit');
  });

  await run.step("sysadmin sees an organisation's metadata only: no content, no people; disables its admin", async () => {
    const {page} = admin;
    await go(page, `#/orgs/${orgId}/records`);
    await page.getByText('never see the content of records or files').waitFor();
    for (const section of ['people', 'policy', 'audit']) {
      await go(page, `#/orgs/${orgId}/${section}`);
      await page.getByText("An organisation's people, policy and audit trail are for its own administrators only.").waitFor();
    }
    await go(page, '#/admin/orgs');
    await page.getByRole('cell', {name: 'Smith & Partners', exact: true}).waitFor();
    const cells = await rowCells(page, 'Smith & Partners');
    assert(cells[2] === '1' && cells[4] === 'yes' && !cells[3].startsWith('0 '), `metadata: ${cells}`);
    assert(!(await page.locator('main').textContent()).includes(MEMBER), 'no member named');
    await page.getByRole('link', {name: 'System policy'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'System policy'}).waitFor();
    assert(await page.getByLabel('Require an authenticator code (TOTP) at sign-in').isDisabled(), 'TOTP always on for sysadmins');
    await shot(page, 'admin-policy');
    await page.getByRole('link', {name: 'System audit'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'System audit trail'}).waitFor();
    await shot(page, 'admin-audit');
    // Alerts: the link's badge counts those not looked at; the screen lists them and the
    // badge is gone once they have been seen.
    await page.getByRole('link', {name: /^Alerts/}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Alerts'}).waitFor();
    await page.locator('table.alerts, p.empty').first().waitFor();
    await shot(page, 'admin-alerts');
    await page.getByRole('link', {name: 'System audit'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'System audit trail'}).waitFor();
    assert(await page.locator('.count-badge:not([hidden])').count() === 0, 'no unseen alerts after looking');
    await page.getByRole('link', {name: 'Backups'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Backups'}).waitFor();
    await page.getByText('No backups yet.').waitFor();
    await page.getByRole('button', {name: 'Back up now'}).click();
    await page.getByRole('cell', {name: 'verified', exact: true}).waitFor({timeout: 60000});
    await page.getByRole('button', {name: 'Back up now'}).waitFor();
    assert(!(await page.locator('main').textContent()).includes('none yet'), 'the last success is shown');
    await shot(page, 'admin-backups');
    await page.getByRole('link', {name: 'Compliance'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Compliance'}).waitFor();
    await page.getByRole('cell', {name: 'master_key.sealing', exact: true}).waitFor();
    assert((await rowCells(page, 'master_key.sealing'))[0] === 'error', 'the unsealed demo key is an error');
    await page.getByRole('cell', {name: 'backup.last_success', exact: true}).waitFor();
    await shot(page, 'admin-check');
    await go(member.page, `#/orgs/${orgId}/records`); // the member's page stays open
    await member.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Smith & Partners'}).waitFor();
    await page.getByRole('link', {name: 'Users'}).click();
    await page.getByRole('button', {name: `Disable ${MEMBER}`}).click();
    await page.getByRole('button', {name: 'Disable account'}).click();
    await page.getByRole('row', {name: new RegExp(MEMBER)}).getByText('disabled', {exact: true}).waitFor();
    assert((await rowCells(page, MEMBER))[3] === '1', 'the number of organisations, not which');
    await shot(page, 'admin-users');
  });

  await run.step("the disabled member's open page finds itself signed out", async () => {
    const {page} = member;
    await page.mouse.move(10, 10); // someone is at the page
    await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor({timeout: 15000});
    await page.getByText('Your session has ended').waitFor();
    await shot(page, 'member-signed-out');
  });

  await run.check('an expired session returns to sign-in, then to where the user was', async () => {
    const {page, context} = admin;
    await go(page, `#/admin/users`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Users'}).waitFor();
    await context.clearCookies(); // as if the session had expired
    await page.getByRole('link', {name: 'Invitations'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor();
    assert(page.url().includes('next=%23%2Fadmin%2Finvites'), `remembers the place: ${page.url()}`);
    await signIn(page, ADMIN, ADMIN_PW, adminAuth);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Invitations'}).waitFor();
  });


  // --- two organisations, a breached password, a login policy that refuses ----------------

  let clerk, partner, laneAdmin, clerkAuth, partnerAuth, jonesId, kellerId, laneId;
  // The sysadmin's invitation of an organisation's first org_admin.
  const invite = async (email, org) => {
    const r = await apiCall(admin.page, 'POST', '/api/v1/admin/invites', {email, role: 'org_admin', org_id: org, clearance: 'restricted'});
    assert(r.status === 201, `invite ${email}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.url;
  };

  await run.step('sysadmin creates three more organisations and invites their first org_admins; Lane & Co\'s invites a clerk', async () => {
    const {page} = admin;
    await go(page, '#/admin/orgs');
    for (const name of ['Jones Chambers', 'Keller Trust', 'Lane & Co']) {
      await page.getByLabel('Name').fill(name);
      await page.getByRole('button', {name: 'Create organisation'}).click();
      await page.getByRole('cell', {name, exact: true}).waitFor();
    }
    const orgs = (await apiCall(page, 'GET', '/api/v1/admin/orgs')).body.orgs;
    jonesId = orgs.find((o) => o.name === 'Jones Chambers').id;
    kellerId = orgs.find((o) => o.name === 'Keller Trust').id;
    laneId = orgs.find((o) => o.name === 'Lane & Co').id;
    partner = await newPage('partner');
    partnerAuth = await acceptInvite(partner.page, await invite(PARTNER, jonesId), PARTNER_PW, null);
    laneAdmin = await newPage('lane-admin', undefined, {'X-Forwarded-For': LANE_ADMIN_ADDRESS});
    const laneAuth = await acceptInvite(laneAdmin.page, await invite(LANE_ADMIN, laneId), LANE_ADMIN_PW, null);
    await laneAdmin.page.getByRole('link', {name: 'Go to sign-in'}).click();
    await signIn(laneAdmin.page, LANE_ADMIN, LANE_ADMIN_PW, laneAuth);
    await laneAdmin.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Lane & Co'}).waitFor();
    const r = await apiCall(laneAdmin.page, 'POST', `/api/v1/orgs/${laneId}/invites`, {email: CLERK, role: 'member', clearance: 'internal'});
    assert(r.status === 201, `the clerk's invitation: ${r.status} ${JSON.stringify(r.body)}`);
    clerk = await newPage('clerk');
    clerkAuth = await acceptInvite(clerk.page, r.body.url, CLERK_PW, null);
  });

  await run.step('an existing user joins a second organisation from its invitation, with their current password', async () => {
    const {page} = partner;
    await page.goto(await invite(PARTNER, kellerId));
    await page.getByRole('heading', {level: 1, exact: true, name: 'Welcome to coffer'}).waitFor();
    await page.getByRole('button', {name: 'I already have a coffer account'}).click();
    await page.getByLabel('Your current password').fill('not my password at all');
    await page.getByRole('button', {name: 'Join Keller Trust'}).click();
    await page.getByText('That is not the password of the coffer account with this email').waitFor();
    await page.getByLabel('Your current password').fill(PARTNER_PW);
    await shot(page, 'invite-join');
    await page.getByRole('button', {name: 'Join Keller Trust'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'You have joined Keller Trust'}).waitFor();
    await shot(page, 'invite-joined');
  });

  // Sets the allowed addresses of Lane & Co (the clerk's only organisation) through the policy
  // screen, as its org_admin (from 10.20.30.40). (The policy of every organisation a user
  // belongs to applies.)
  const setCidrs = async (text) => {
    const {page} = laneAdmin;
    await go(page, `#/orgs/${laneId}/policy`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Policy · Lane & Co'}).waitFor();
    await page.getByLabel('Allowed addresses').fill(text);
    await page.getByRole('button', {name: 'Save policy'}).click();
    await page.getByText('The policy has been saved.').waitFor();
  };

  await run.step('a sign-in outside the login policy gets its own message, not the wrong-credentials one', async () => {
    await setCidrs('10.0.0.0/8'); // 127.0.0.1 is outside
    await go(clerk.page, '#/signin');
    const answer = clerk.page.waitForResponse((r) => r.url().endsWith('/api/v1/login'));
    await signIn(clerk.page, CLERK, CLERK_PW, clerkAuth);
    const r = await answer;
    assert(r.status() === 403 && (await r.json()).error.code === 'login_policy', `login answered ${r.status()}`);
    await clerk.page.getByText("Your details are right, but your organisation's sign-in policy does not allow signing in").waitFor();
    assert(!(await clerk.page.getByText('The email, password or code is not right').isVisible()), 'not the wrong-credentials message');
    assert(await clerk.page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).isVisible(), 'still on sign-in');
    await shot(clerk.page, 'signin-login-policy');
  });

  await run.step('a password found in the breached list forces a change before anything else', async () => {
    const reloads = () => coffer.log().split('\n').filter((l) =>
      /"event":\s*"reload"/.test(l) && /"level":\s*"info"/.test(l) && l.includes('breached_passwords_file')).length;
    const before = reloads();
    writePwned(['password1', PWNED_OTHER, PARTNER_PW]);
    coffer.signal('SIGHUP');
    for (let i = 0; i < 100 && reloads() === before; i++) await sleep(100);
    assert(reloads() > before, 'coffer serve logged no reload of the breached list');
    const {page} = partner;
    await page.getByRole('link', {name: 'Go to sign-in'}).click();
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/login'));
    await signIn(page, PARTNER, PARTNER_PW, partnerAuth);
    assert((await (await answer).json()).must_change_password === true, 'login answers must_change_password');
    await page.getByRole('heading', {level: 1, exact: true, name: 'Choose a new password'}).waitFor();
    assert(new URL(page.url()).hash === '#/password', `at ${page.url()}`);
    assert(await page.locator('#topbar nav, #org-switch').count() === 0, 'the top bar offers no other screen');
    await page.getByText('appears in a list of passwords known from data breaches').waitFor();
    await shot(page, 'password-forced');
    // Nothing else can be reached meanwhile: not by the address bar, not by the API.
    await go(page, `#/orgs/${jonesId}/records`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Choose a new password'}).waitFor();
    assert(new URL(page.url()).hash === '#/password', `went to ${page.url()}`);
    const refused = await apiCall(page, 'GET', `/api/v1/orgs/${jonesId}/records`);
    assert(refused.status === 403 && refused.body.error.code === 'password_change_required', `records answered ${refused.status}`);
    // Another breached password is refused as the new one.
    await page.getByLabel('Current password', {exact: true}).fill(PARTNER_PW);
    await page.getByLabel('New password', {exact: true}).fill(PWNED_OTHER);
    await page.getByLabel('New password again').fill(PWNED_OTHER);
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.getByText('The new password is too easy to guess').waitFor();
    await page.getByLabel('New password', {exact: true}).fill(PARTNER_NEW_PW);
    await page.getByLabel('New password again').fill(PARTNER_NEW_PW);
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor();
    await page.getByText('Your password has been changed').waitFor();
    await shot(page, 'password-changed');
    await signIn(page, PARTNER, PARTNER_NEW_PW, partnerAuth);
    await page.getByRole('heading', {level: 1, exact: true, name: /^Records · (Jones Chambers|Keller Trust)$/}).waitFor();
    const s = await apiCall(page, 'GET', '/api/v1/session');
    assert(s.body.must_change_password === false, 'no change required any more');
  });

  await run.step('the next sign-in tells the user their password was changed, and from where; dismissed, it is gone', async () => {
    const {page} = partner;
    const notice = page.locator('#notices .notice[data-kind="password_changed"]');
    await notice.waitFor();
    const text = await notice.textContent();
    assert(/^Your password was changed on .+ from [0-9a-f.:]+\. If this was not you, ask your organisation's administrator to reset your sign-in at once\.Dismiss$/.test(text), text);
    assert(await notice.locator('time').count() === 1, 'the date is a <time>');
    // Joining Keller Trust was told too, in words, with the role and clearance given.
    const joined = page.locator('#notices .notice[data-kind="membership_added"]');
    assert((await joined.textContent()).startsWith('You were added to Keller Trust as an administrator, with restricted clearance, on '), await joined.textContent());
    await shot(page, 'notice-password-changed');
    const seen = page.waitForRequest((r) => r.url().endsWith('/api/v1/notices/seen'));
    await page.getByRole('button', {name: 'Dismiss the notice about your password change'}).click();
    const ids = JSON.parse((await seen).postData()).ids;
    await notice.waitFor({state: 'detached'});
    // The focus goes on to the next notice's button, not lost.
    assert(await page.evaluate(() => document.activeElement?.closest('#notices') !== null), 'focus stays in the notices');
    const s = await apiCall(page, 'GET', '/api/v1/session');
    const kinds = s.body.notices.map((n) => n.kind);
    assert(ids.length === 1 && !s.body.notices.some((n) => n.id === ids[0]) && !kinds.includes('password_changed'), `notices: ${JSON.stringify(kinds)}`);
    assert(s.body.notices.every((n) => n.personal === true && n.org_id === null), 'only personal notices left');
    // The rest are the partner's to dismiss too; the page shows none after.
    await page.getByRole('button', {name: /^Dismiss (all \d+ notices|the notice about .+)$/}).first().click();
    for (let i = 0; i < 50 && (await apiCall(page, 'GET', '/api/v1/session')).body.notices.length > 0; i++) {
      const more = page.getByRole('button', {name: /^Dismiss (all \d+ notices|the notice about .+)$/}).first();
      if (await more.count()) await more.click();
      await sleep(100);
    }
    assert((await apiCall(page, 'GET', '/api/v1/session')).body.notices.length === 0, 'every notice dismissed');
    await page.locator('#notices').waitFor({state: 'hidden'});
  });

  await run.step('a member of two organisations switches between them and sees only each one\'s records', async () => {
    const {page} = partner;
    for (const [org, title] of [[jonesId, 'Jones brief — Patel v Reed'], [kellerId, 'Keller deed of trust 1998']]) {
      const r = await apiCall(page, 'POST', `/api/v1/orgs/${org}/records`, {title, body: 'x', level: 'internal'});
      assert(r.status === 201, `create in ${org}: ${r.status}`);
    }
    await go(page, `#/orgs/${jonesId}/records`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Jones Chambers'}).waitFor();
    const rows = async (want, not) => {
      await page.getByRole('link', {name: want}).waitFor();
      assert(await page.locator('tbody tr').count() === 1, 'one record listed');
      assert(await page.getByRole('link', {name: not}).count() === 0, `${not} is not listed`);
    };
    await rows('Jones brief — Patel v Reed', 'Keller deed of trust 1998');
    await page.getByLabel('Organisation').selectOption({label: 'Keller Trust'});
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Keller Trust'}).waitFor();
    await rows('Keller deed of trust 1998', 'Jones brief — Patel v Reed');
    await shot(page, 'org-switch');
    // The switch keeps the section: from Keller's files to Jones's files.
    await page.getByRole('link', {name: 'Files'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Files · Keller Trust'}).waitFor();
    await page.getByLabel('Organisation').selectOption({label: 'Jones Chambers'});
    await page.getByRole('heading', {level: 1, exact: true, name: 'Files · Jones Chambers'}).waitFor();
    await page.getByRole('link', {name: 'Records'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Jones Chambers'}).waitFor();
    await rows('Jones brief — Patel v Reed', 'Keller deed of trust 1998');
  });

  // Last, so that the clerk's next authenticator step has come meanwhile.
  await run.step('with the login policy restored, the refused user signs in', async () => {
    await setCidrs('0.0.0.0/0\n::/0');
    await signIn(clerk.page, CLERK, CLERK_PW, clerkAuth);
    await clerk.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Lane & Co'}).waitFor();
  });

  // --- an organisation recovered by the server's operator: every member is told -------------

  let mossId, mossClerk;
  await run.step('an organisation loses its only administrator, disabled by a sysadmin', async () => {
    const o = await apiCall(admin.page, 'POST', '/api/v1/admin/orgs', {name: 'Moss Notaries'});
    assert(o.status === 201, `Moss Notaries: ${o.status}`);
    mossId = o.body.id;
    const head = await newPage('moss-head');
    const headAuth = await acceptInvite(head.page, await invite(MOSS_HEAD, mossId), MOSS_HEAD_PW, null);
    await head.page.getByRole('link', {name: 'Go to sign-in'}).click();
    await signIn(head.page, MOSS_HEAD, MOSS_HEAD_PW, headAuth);
    await head.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Moss Notaries'}).waitFor();
    const r = await apiCall(head.page, 'POST', `/api/v1/orgs/${mossId}/invites`, {email: MOSS_CLERK, role: 'member', clearance: 'internal'});
    assert(r.status === 201, `the clerk's invitation: ${r.status} ${JSON.stringify(r.body)}`);
    mossClerk = await newPage('moss-clerk');
    const clerkAuth = await acceptInvite(mossClerk.page, r.body.url, MOSS_CLERK_PW, null);
    await mossClerk.page.getByRole('link', {name: 'Go to sign-in'}).click();
    await signIn(mossClerk.page, MOSS_CLERK, MOSS_CLERK_PW, clerkAuth);
    await mossClerk.page.getByRole('heading', {level: 1, exact: true, name: 'Records · Moss Notaries'}).waitFor();
    assert(await mossClerk.page.locator('#notices .notice').count() === 0, 'no notice before a recovery');
    const users = (await apiCall(admin.page, 'GET', '/api/v1/admin/users')).body.users;
    const d = await apiCall(admin.page, 'POST', `/api/v1/admin/users/${users.find((u) => u.email === MOSS_HEAD).id}/disable`);
    assert(d.status === 204, `disable: ${d.status}`);
    await head.context.close();
  });

  await run.step("the operator recovers it with coffer org recover; a member's open page shows the notice until dismissed, then never again", async () => {
    const out = execFileSync(COFFER, ['org', 'recover', '--data', coffer.data, '--org', mossId, '--admin-email', MOSS_NEW_HEAD],
      {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
    assert(/\/invite\/[A-Za-z0-9_-]+$/.test(out.trim().split('\n').pop()), `recover printed: ${out}`);
    const {page} = mossClerk;
    const banner = page.locator('#notices .notice');
    // The page reads its session at the next move (and every few seconds): the notice comes with it.
    await page.getByRole('link', {name: 'Files'}).click();
    await banner.waitFor();
    const text = await banner.textContent();
    assert(text.includes("Moss Notaries was recovered by the server's operator on ")
      && text.includes(`: ${MOSS_NEW_HEAD} was made its administrator. If you did not expect this, tell your organisation's other members.`), text);
    assert(await banner.locator('time').count() === 1, 'the date is a <time>');
    await shot(page, 'notice');
    // Until dismissed it stands, a reload too.
    await go(page, `#/orgs/${mossId}/records`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Moss Notaries'}).waitFor();
    await banner.waitFor();
    const seen = page.waitForRequest((r) => r.url().endsWith('/api/v1/notices/seen'));
    await page.getByRole('button', {name: 'Dismiss the notice about Moss Notaries'}).click();
    const ids = JSON.parse((await seen).postData()).ids;
    assert(ids.length === 1 && Number.isInteger(ids[0]), `marked seen: ${JSON.stringify(ids)}`);
    await banner.waitFor({state: 'detached'});
    assert(await page.locator('#notices').isHidden(), 'the banner is gone');
    // After a reload the session answers no notice, and the page shows none.
    await go(page, `#/orgs/${mossId}/records`);
    await page.getByRole('heading', {level: 1, exact: true, name: 'Records · Moss Notaries'}).waitFor();
    assert(await banner.count() === 0, 'no notice after a reload');
    const s = await apiCall(page, 'GET', '/api/v1/session');
    assert(Array.isArray(s.body.notices) && s.body.notices.length === 0, `notices: ${JSON.stringify(s.body.notices)}`);
  });

  // --- your own sessions, and the password again before a sensitive change ------------------

  // The sysadmin's signed-in browser, as the server sees it from 127.0.0.1, and a phone.
  let phone;
  await run.step('a user sees their sessions (this one marked, where from, what browser) and ends another; that browser is signed out', async () => {
    phone = await newPage('admin-phone', {width: 390, height: 844},
      {'User-Agent': 'PhoneBrowser/2.0 (journey)', 'X-Forwarded-For': '198.51.100.77'});
    await signIn(phone.page, ADMIN, ADMIN_PW, adminAuth);
    await phone.page.getByRole('heading', {level: 1, exact: true, name: 'Organisations'}).waitFor();
    const {page} = admin;
    await page.getByRole('link', {name: 'Sessions', exact: true}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Your sessions'}).waitFor();
    const rows = page.locator('table.sessions tbody tr');
    assert(await rows.count() >= 2, `${await rows.count()} sessions listed`);
    const mine = page.locator('table.sessions tr.current-session');
    assert(await mine.count() === 1 && (await mine.textContent()).includes('This session'), 'this session is marked');
    const phoneRow = rows.filter({hasText: 'PhoneBrowser/2.0 (journey)'});
    assert(await phoneRow.count() === 1, 'the phone is listed with its browser');
    assert((await phoneRow.textContent()).includes('198.51.100.77'), 'and its address');
    const a = await screenAudit(page);
    assert(!a.unlabelled.length && a.h1 === 1, `sessions page: ${JSON.stringify(a)}`);
    await shot(page, 'sessions');
    await phoneRow.getByRole('button', {name: 'End the session signed in from 198.51.100.77'}).click();
    await page.getByRole('dialog', {name: 'End this session?'}).waitFor();
    await page.getByRole('button', {name: 'End session'}).click();
    await page.getByText('The session has been ended.').waitFor();
    await phoneRow.waitFor({state: 'detached'});
    // The phone's next request finds its session gone: it is back at sign-in.
    await nextRequestSignsOut(phone.page, 'Invitations');
  });

  await run.step('a sensitive change long after sign-in asks for the password and code in a dialog, then goes through; cancelled, nothing changes', async () => {
    // The phone signs in again (and is back where it was), and the sysadmin's own sign-in is
    // made an hour old (as if the browser had been left open): the server's window is 15
    // minutes.
    await signIn(phone.page, ADMIN, ADMIN_PW, adminAuth);
    await phone.page.getByRole('heading', {level: 1, exact: true, name: 'Invitations'}).waitFor();
    const age = () => execFileSync('sqlite3', [join(coffer.data, 'system.db'),
      "UPDATE sessions SET authenticated_at = strftime('%s','now') - 3600 " +
      "WHERE user_id = (SELECT id FROM users WHERE email = 'admin@example.test') " +
      "AND browser NOT LIKE 'PhoneBrowser%'"]);
    age();
    const {page} = admin;
    await go(page, '#/sessions');
    await page.getByRole('heading', {level: 1, exact: true, name: 'Your sessions'}).waitFor();
    const endAll = page.getByRole('button', {name: 'End all other sessions'});
    const dialog = page.getByRole('dialog', {name: 'Confirm it is you'});
    // Cancelled: the change is not made, and the page says why.
    await endAll.click();
    await page.getByRole('button', {name: 'End all other sessions'}).last().click(); // the confirmation's
    await dialog.waitFor();
    const a = await screenAudit(page);
    assert(!a.unlabelled.length, `dialog controls without a label: ${a.unlabelled.join(' | ')}`);
    await shot(page, 'reauth-dialog');
    await dialog.getByRole('button', {name: 'Cancel'}).click();
    await dialog.waitFor({state: 'detached'});
    await page.locator('.msg-error').filter({hasText: 'needs your password'}).waitFor();
    assert((await apiCall(phone.page, 'GET', '/api/v1/session')).status === 200, 'the phone is still signed in');
    // A wrong password is said so in the dialog, which stays open.
    await endAll.click();
    await page.getByRole('button', {name: 'End all other sessions'}).last().click();
    await dialog.waitFor();
    await dialog.getByLabel('Password', {exact: true}).fill('not the password');
    await dialog.getByLabel('Code from your authenticator app').fill(await adminAuth.code());
    await dialog.getByRole('button', {name: 'Confirm'}).click();
    await dialog.getByText('The password or the code is not right').waitFor();
    // The right password and a fresh code: the change is sent again and made.
    await dialog.getByLabel('Password', {exact: true}).fill(ADMIN_PW);
    await dialog.getByLabel('Code from your authenticator app').fill(await adminAuth.code());
    await dialog.getByRole('button', {name: 'Confirm'}).click();
    await dialog.waitFor({state: 'detached'});
    await page.getByText(/other sessions? ha(s|ve) been ended/).waitFor();
    await nextRequestSignsOut(phone.page, 'Invitations');
    // Recent again: the next sensitive change goes straight through.
    const d = await apiCall(page, 'DELETE', '/api/v1/me/sessions');
    assert(d.status === 200 && d.body.ended === 0, `end all again: ${d.status} ${JSON.stringify(d.body)}`);
    await phone.context.close();
  });

  // Keyboard only, on the clerk's signed-in page: every control has a label, each screen one
  // h1, Tab moves through the controls with a visible focus ring, Enter follows a link.
  await run.step('keyboard and labels: every control labelled, one h1, Tab shows focus, Enter works', async () => {
    const {page} = clerk;
    const audit = () => screenAudit(page);
    // The focused element's ring: the :focus-visible outline of app.css, not the browser's none.
    const focusRing = () => page.evaluate(() => {
      const el = document.activeElement;
      const cs = getComputedStyle(el);
      return {tag: el.tagName, text: (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40),
              ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2};
    });
    for (const hash of ['', '/new']) {
      if (hash) {
        // Tab from the top until "New record" has the focus, then Enter.
        await page.locator('body').focus();
        let found = false;
        for (let i = 0; i < 25 && !found; i++) {
          await page.keyboard.press('Tab');
          const f = await focusRing();
          assert(f.ring, `no visible focus ring on ${f.tag} "${f.text}"`);
          found = f.text === 'New record';
        }
        assert(found, 'Tab never reached "New record"');
        await page.keyboard.press('Enter');
        await page.getByRole('heading', {level: 1, exact: true, name: 'New record'}).waitFor();
        await shot(page, 'keyboard-new-record');
      }
      const a = await audit();
      assert(!a.unlabelled.length, `controls without a label: ${a.unlabelled.join(' | ')}`);
      assert(a.h1 === 1, `${a.h1} h1 elements on the screen`);
    }
    // The new-record form by keyboard alone: type, Tab on, and submit with Enter.
    await page.getByLabel('Title').focus();
    await page.keyboard.type('Typed without a mouse');
    await page.keyboard.press('Tab');
    const f = await focusRing();
    assert(f.ring && f.tag === 'SELECT', `after the title, the focus is on ${f.tag}, ring ${f.ring}`);
    await page.getByLabel('Text').focus();
    await page.keyboard.type('Body typed with the keyboard.');
    await page.getByRole('button', {name: 'Create record'}).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', {level: 1, exact: true, name: 'Typed without a mouse'}).waitFor();
  });

  await run.check('every state-changing API request carried the X-CSRF-Token', async () => {
    assert(unsafe.length >= 10, `only ${unsafe.length} state-changing requests seen`);
    const without = unsafe.filter((r) => !/^[A-Za-z0-9_-]{20,}$/.test(r.csrf));
    assert(!without.length, `without the header: ${JSON.stringify(without)}`);
    const kinds = new Set(unsafe.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, 'ID')}`));
    for (const k of ['POST /api/v1/admin/orgs', 'POST /api/v1/orgs/ID/records', 'PUT /api/v1/orgs/ID/records/ID',
      'POST /api/v1/orgs/ID/files', 'DELETE /api/v1/orgs/ID/files/ID', 'PUT /api/v1/orgs/ID/policy', 'POST /api/v1/admin/users/ID/disable',
      'POST /api/v1/me/password', 'POST /api/v1/admin/invites', 'POST /api/v1/orgs/ID/invites', 'PATCH /api/v1/orgs/ID/members/ID',
      'POST /api/v1/orgs/ID/members/ID/reset', 'DELETE /api/v1/orgs/ID/members/ID',
      'PUT /api/v1/orgs/ID/members/ID/login-policy', 'POST /api/v1/notices/seen',
      'DELETE /api/v1/me/sessions/ID', 'DELETE /api/v1/me/sessions', 'POST /api/v1/me/reauthenticate']) {
      assert(kinds.has(k), `no ${k} seen: ${[...kinds].join(', ')}`);
    }
  });

  await run.check('every upload sent its file name in Content-Disposition, none in the URL', async () => {
    const uploads = unsafe.filter((r) => r.method === 'POST' && /^\/api\/v1\/orgs\/[0-9a-f-]{36}\/files$/.test(r.path));
    assert(uploads.length >= 2, `only ${uploads.length} uploads seen`);
    for (const u of uploads) {
      assert(!/[?&]name=/.test(u.query), `a file name in the URL: ${u.query}`);
      assert(/^attachment; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/.test(u.disposition), `Content-Disposition: ${u.disposition}`);
    }
    const want = "attachment; filename*=UTF-8''Notiz%20%E2%80%93%20M%C3%A4rz%27s%20%28Entwurf%29.txt";
    assert(uploads.some((u) => u.disposition === want), `no upload of ${SCRATCH} as ${want}`);
  });

  await run.check('no CSP violation, script error or dialog on any page', async () => {
    assert(!problems.length, problems.join('\n'));
    assert(!dialogs.length, dialogs.join('\n'));
  });
} finally {
  await browser.close().catch(() => {});
  const log = await coffer.stop();
  rmSync(pwnedDir, {recursive: true, force: true});
  if (run.failed) console.log(`coffer serve log (tail):\n${log.slice(-2000)}`);
}
console.log(`screenshots: ${SHOTS}`);
console.log(`browser: ${run.passed} passed, ${run.failed} failed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
process.exit(run.failed || !run.passed ? 1 : 0);
