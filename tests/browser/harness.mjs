// harness.mjs — what the browser journey needs around the browser: a coffer deployment of its
// own (coffer init + coffer serve on a free loopback port, in a temporary directory), TOTP
// codes from oathtool, and a tiny test runner whose output tests/run_all.py counts
// ("ok - NAME" / "not ok - NAME", then "browser: N passed, N failed").
import {spawn, execFileSync} from 'node:child_process';
import {chmodSync, mkdtempSync, rmSync, openSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {request} from 'node:https';
import {tmpdir} from 'node:os';
import {join, resolve, dirname} from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const COFFER = process.env.COFFER_BIN ? resolve(ROOT, process.env.COFFER_BIN) : join(ROOT, 'build/coffer');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const {port} = s.address(); s.close(() => res(port)); });
  });
}

function healthz(base) {
  return new Promise((res) => {
    const req = request(`${base}/healthz`, {rejectUnauthorized: false, timeout: 2000}, (r) => { r.resume(); res(r.statusCode); });
    req.on('error', () => res(0));
    req.on('timeout', () => { req.destroy(); res(0); });
    req.end();
  });
}

// A fresh deployment, served. CONF ({key: value}) sets lines of coffer.conf before it starts.
// Returns {base, inviteUrl, dir, data (its --data directory), log(), signal(name), stop()}.
export async function startCoffer(adminEmail, conf = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-browser-'));
  // Run as root, coffer serve becomes the user `coffer`, who must get through to DATA.
  chmodSync(dir, 0o711);
  const port = await freePort();
  const data = join(dir, 'data');
  const out = execFileSync(COFFER, ['init', '--unsealed', '--data', data, '--admin-email', adminEmail, '--listen', `127.0.0.1:${port}`],
    {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
  const inviteUrl = out.trim().split('\n').pop().trim();
  const confPath = join(data, 'coffer.conf');
  let text = readFileSync(confPath, 'utf8');
  for (const [k, v] of Object.entries(conf)) {
    const line = new RegExp(`^${k}\\s*=.*$`, 'm');
    text = line.test(text) ? text.replace(line, `${k} = ${v}`) : `${text}${k} = ${v}\n`;
  }
  writeFileSync(confPath, text);
  const log = join(dir, 'serve.log');
  const fd = openSync(log, 'w');
  const proc = spawn(COFFER, ['serve', '--data', data], {stdio: ['ignore', fd, fd]});
  const base = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  while (await healthz(base) !== 200) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      throw new Error(`coffer serve did not start:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    }
    await sleep(100);
  }
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      for (let i = 0; i < 150 && proc.exitCode === null; i++) await sleep(100);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    const text = readFileSync(log, 'utf8');
    rmSync(dir, {recursive: true, force: true});
    return text;
  };
  const logText = () => readFileSync(log, 'utf8');
  const signal = (name) => proc.kill(name);
  return {base, inviteUrl, dir, data, log: logText, signal, stop};
}

// A person's authenticator app. Each 30-second step's code is accepted once per user, and the
// server takes the step either side of now: a code is taken from the first step after the last
// one used, waiting only when that step is more than one ahead of the clock.
export class Authenticator {
  constructor(secret) { this.secret = secret.replace(/\s+/g, ''); this.last = -1; }
  async code() {
    const now = () => Math.floor(Date.now() / 1000 / 30);
    let step = Math.max(now() - 0, this.last + 1);
    while (step > now() + 1) await sleep(500);
    this.last = step;
    return execFileSync('oathtool', ['--totp', '-b', '-N', `@${step * 30}`, this.secret], {encoding: 'utf8'}).trim();
  }
}

// Runs named steps in order; a step after a failure is reported failed (it depends on the
// journey so far) rather than silently skipped.
export class Runner {
  // ONFAILURE(name), when set, records what the pages showed when a step failed.
  constructor() { this.passed = 0; this.failed = 0; this.broken = null; this.onFailure = null; }
  async step(name, fn) {
    const t0 = Date.now();
    if (this.broken) {
      this.failed++;
      console.log(`not ok - ${name} (not run: an earlier step failed: ${this.broken})`);
      return;
    }
    try {
      await fn();
      this.passed++;
      console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      this.failed++;
      this.broken = name;
      console.log(`not ok - ${name}\n  ${String(err && err.stack || err).split('\n').join('\n  ')}`);
      if (this.onFailure) await this.onFailure(name).catch((e) => console.log(`  (no record of the pages: ${e})`));
    }
  }
  // An independent check: its failure does not stop the journey.
  async check(name, fn) {
    const broken = this.broken;
    if (broken) return this.step(name, fn);
    await this.step(name, fn);
    this.broken = broken;
  }
}

export function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }
export {sleep};
