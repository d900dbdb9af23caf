// passkeys.mjs — passkeys in a real browser: Debian's chromium with the DevTools virtual
// authenticator (WebAuthn.addVirtualAuthenticator over a CDP session), against a coffer of its
// own. A sysadmin adds a passkey from the Passkeys page, signs out, signs in with the password
// and the passkey instead of a code, sees a wrong password refused with the passkey too, and
// removes the passkey. WebAuthn needs a name (not an IP address) and a connection the browser
// trusts: the page is reached at https://localhost:PORT, and chromium is told to trust the
// deployment's self-signed key by its SPKI hash, so that no certificate error is ever
// overlooked. Prints "ok - NAME" / "not ok - NAME" lines and "browser: N passed, N failed".
import {chromium} from 'playwright-core';
import {execFileSync} from 'node:child_process';
import {createHash, createPublicKey} from 'node:crypto';
import {mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {ROOT, startCoffer, Authenticator, Runner, assert} from './harness.mjs';

const SHOTS = join(ROOT, 'build/test-output/browser');
mkdirSync(SHOTS, {recursive: true});
const ADMIN = 'keys-admin@example.test';
const ADMIN_PW = 'Passkey admin passphrase 5';

// The base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as --ignore-certificate-errors-spki-list takes it.
function spkiHash(certPem) {
  const der = createPublicKey(certPem).export({type: 'spki', format: 'der'});
  return createHash('sha256').update(der).digest('base64');
}

const run = new Runner();
const t0 = Date.now();
const coffer = await startCoffer(ADMIN);
const base = coffer.base.replace('https://127.0.0.1:', 'https://localhost:');
const cert = readFileSync(join(coffer.data, 'tls/cert.pem'), 'utf8');
const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--no-proxy-server', '--disable-dev-shm-usage',
    `--ignore-certificate-errors-spki-list=${spkiHash(cert)}`]});
const problems = [];
const context = await browser.newContext({viewport: {width: 1280, height: 860}});
await context.route((url) => !url.href.startsWith(base), (route) => route.abort());
const page = await context.newPage();
page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[0-9]/.test(m.text())) problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
const shot = (name) => page.screenshot({path: join(SHOTS, `passkeys-${name}.png`), fullPage: true});
run.onFailure = async () => {
  await shot('failure').catch(() => {});
  console.log(`  at ${page.url()}: ${((await page.locator('main').textContent({timeout: 2000}).catch(() => '')) || '').replace(/\s+/g, ' ').slice(0, 300)}`);
};
const session = () => page.evaluate(async () => {
  const r = await fetch('/api/v1/session');
  return r.status === 200 ? r.json() : null;
});
const signInForm = async (password) => {
  await page.goto(`${base}/?t=${Date.now()}#/signin`);
  await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor();
  await page.getByLabel('Email').fill(ADMIN);
  await page.getByLabel('Password', {exact: true}).fill(password);
};

let auth, authenticatorId;
try {
  await run.step('the bootstrap invitation at https://localhost, password and authenticator app', async () => {
    await page.goto(coffer.inviteUrl.replace('https://127.0.0.1:', 'https://localhost:'));
    await page.getByRole('heading', {level: 1, exact: true, name: 'Welcome to coffer'}).waitFor();
    await page.getByLabel('New password', {exact: true}).fill(ADMIN_PW);
    await page.getByLabel('New password again').fill(ADMIN_PW);
    await page.getByRole('button', {name: 'Set password'}).click();
    await page.locator('.qr-box svg').waitFor();
    auth = new Authenticator((await page.locator('#totp-secret').textContent()).replace(/\s+/g, ''));
    await page.getByLabel('Code from the app').fill(await auth.code());
    await page.getByRole('button', {name: 'Confirm and activate'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Your account is ready'}).waitFor();
    await signInForm(ADMIN_PW);
    await page.getByLabel('Authenticator code').fill(await auth.code());
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await page.getByRole('link', {name: 'Passkeys'}).waitFor();
  });

  await run.step('a passkey added from the Passkeys page, with the DevTools virtual authenticator', async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({authenticatorId} = await cdp.send('WebAuthn.addVirtualAuthenticator', {options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true}}));
    await page.getByRole('link', {name: 'Passkeys'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Passkeys'}).waitFor();
    await page.getByText('No passkeys yet').waitFor();
    await page.getByLabel('Name').fill('Virtual key');
    await page.getByRole('button', {name: 'Add a passkey'}).click();
    await page.getByText('The passkey "Virtual key" has been added.').waitFor();
    await page.getByRole('cell', {name: 'Virtual key', exact: true}).waitFor();
    await shot('added');
    const {credentials} = await cdp.send('WebAuthn.getCredentials', {authenticatorId});
    assert(credentials.length === 1 && credentials[0].isResidentCredential, JSON.stringify(credentials));
    const listed = await page.evaluate(async () => (await fetch('/api/v1/me/passkeys')).json());
    assert(listed.passkeys.length === 1 && listed.passkeys[0].name === 'Virtual key' &&
      listed.passkeys[0].algorithm === 'ES256', JSON.stringify(listed));
  });

  await run.step('signed out, then in with the password and the passkey instead of a code', async () => {
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor();
    assert(await session() === null, 'signed out');
    await signInForm(ADMIN_PW);
    await page.getByRole('button', {name: 'Use a passkey'}).click();
    await page.getByRole('link', {name: 'Passkeys'}).waitFor();
    const s = await session();
    assert(s && s.user.email === ADMIN, `signed in: ${JSON.stringify(s)}`);
  });

  await run.step('a wrong password with the passkey is refused, and says so', async () => {
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.getByRole('heading', {level: 1, exact: true, name: 'Sign in to coffer'}).waitFor();
    await signInForm('not the admin passphrase');
    await page.getByRole('button', {name: 'Use a passkey'}).click();
    await page.getByText('The email, password or code is not right.').waitFor();
    assert(await session() === null, 'still signed out');
  });

  await run.step('the passkey removed from the Passkeys page (the authenticator app remains)', async () => {
    await signInForm(ADMIN_PW);
    await page.getByRole('button', {name: 'Use a passkey'}).click();
    await page.getByRole('link', {name: 'Passkeys'}).click();
    await page.getByRole('cell', {name: 'Virtual key', exact: true}).waitFor();
    await page.getByRole('button', {name: 'Remove the passkey Virtual key'}).click();
    await page.getByRole('dialog').getByRole('button', {name: 'Remove passkey'}).click();
    await page.getByText('No passkeys yet').waitFor();
    const listed = await page.evaluate(async () => (await fetch('/api/v1/me/passkeys')).json());
    assert(listed.passkeys.length === 0, JSON.stringify(listed));
  });

  await run.check('no script error, CSP violation or dialog on any page', async () => {
    assert(problems.length === 0, problems.join('\n'));
  });
} finally {
  await browser.close().catch(() => {});
  const log = await coffer.stop();
  if (run.failed) console.log(log.slice(-3000));
  console.log(`browser: ${run.passed} passed, ${run.failed} failed (${Math.round((Date.now() - t0) / 1000)} s)`);
  process.exitCode = run.failed ? 1 : 0;
}
