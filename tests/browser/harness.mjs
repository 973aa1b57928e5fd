// harness.mjs - what the browser tests share: the real `parley serve` on a free
// port with a temporary database, an API client with a cookie session, the
// signed api-inbox delivery, and Debian's Chromium driven by playwright-core.
// Each test imports it; its name (console, admin) names its temp dir and
// screenshots.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NAME = path.basename(process.argv[1] || 'browser', '.test.mjs');
export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const BIN = path.resolve(process.argv[2] || path.join(root, 'build-test/parley'));
export const CHROMIUM = '/usr/bin/chromium';
export const SECRET = 'inbox-hmac-secret-0123456789';
export const PW = 'console-password-123';
export const SHOTS = process.env.PARLEY_SCREENSHOTS || '';

export let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('playwright-core is missing: run `npm ci` at the repository root (make check does).');
  process.exit(1);
}

// ---- small helpers ----------------------------------------------------------

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// ---- the server ------------------------------------------------------------

export const dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-browser-${NAME}-`));
export const db = path.join(dir, 'parley.db');
export const logPath = path.join(dir, 'serve.log');
export const env = { ...process.env, PARLEY_PWHASH_LIGHT: '1' };
export let server = null;
export let base = '';

export async function startServer() {
  const init = spawnSync(BIN, ['init', '--db', db, '--account', 'Acme', '--admin', 'admin@acme.test'], {
    input: 'admin-password-1\n',
    env,
    encoding: 'utf8',
  });
  assert(init.status === 0, `parley init failed: ${init.stdout} ${init.stderr}`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(logPath, 'w');
  server = spawn(BIN, ['serve', '--db', db, '--port', String(port), '--pwhash-light'], {
    env,
    stdio: ['ignore', log, log],
  });
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`parley serve exited: ${fs.readFileSync(logPath, 'utf8')}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) return;
    } catch (e) {
      /* not yet */
    }
    await sleep(50);
  }
  throw new Error(`parley serve did not come up: ${fs.readFileSync(logPath, 'utf8')}`);
}

export async function stopServer() {
  if (!server || server.exitCode !== null) return server ? server.exitCode : 0;
  const done = new Promise((r) => server.once('exit', (code) => r(code)));
  server.kill('SIGTERM');
  const code = await Promise.race([done, sleep(20000).then(() => 'timeout')]);
  if (code === 'timeout') {
    server.kill('SIGKILL');
    throw new Error('parley serve did not stop on SIGTERM');
  }
  return code;
}

// ---- an API client (cookie session, like harness.py) ------------------------

export class Client {
  constructor() {
    this.cookie = null;
  }
  async req(method, p, body, headers = {}) {
    const h = { ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (this.cookie) h.Cookie = this.cookie;
    if (method !== 'GET') h['X-Requested-With'] = 'parley';
    const r = await fetch(base + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const sc = r.headers.get('set-cookie');
    if (sc && sc.startsWith('parley_session=')) this.cookie = sc.split(';')[0];
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      /* not JSON */
    }
    return { status: r.status, json, text, headers: r.headers };
  }
  async ok(method, p, body, want = [200, 201, 204]) {
    const r = await this.req(method, p, body);
    assert(want.includes(r.status), `${method} ${p} answered ${r.status}: ${r.text}`);
    return r.json;
  }
}

export function deliver(inbox, id, contact, body, { visibility = 'private', thread } = {}) {
  const payload = { id, contact: { id: contact, name: contact[0].toUpperCase() + contact.slice(1), handle: `@${contact}` }, body, visibility };
  if (thread) payload.thread_id = thread;
  const raw = JSON.stringify(payload);
  const sig = 'sha256=' + crypto.createHmac('sha256', SECRET).update(raw).digest('hex');
  return fetch(`${base}/api/v1/inboxes/${inbox}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Parley-Signature': sig },
    body: raw,
  }).then(async (r) => {
    const j = await r.json();
    assert(r.status === 201 || r.status === 200, `delivery ${id} answered ${r.status}: ${JSON.stringify(j)}`);
    return j;
  });
}

// ---- the browser -----------------------------------------------------------

export let browser = null;
export const pages = new Map(); // name -> page
export const problems = []; // console errors that are not answered requests

export async function launch() {
  assert(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/deps.sh installs the chromium package`);
  // playwright gives every launch a new, empty profile directory of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60000,
  });
}

export async function newPage(name, viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  page.on('console', (m) => {
    // A refused request (401, 409, 422) is logged by Chromium as an error; the
    // page shows it in words, which the steps check. Anything else is a fault.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`${name}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${name}: uncaught ${e.message}`));
  pages.set(name, page);
  return page;
}

export async function shot(tag) {
  for (const [name, page] of pages) {
    try {
      await page.screenshot({ path: path.join(SHOTS || '/tmp', `parley-${NAME}-${tag}-${name}.png`), fullPage: false });
    } catch (e) {
      /* page closed */
    }
  }
}

export async function login(page, email) {
  await page.goto(base + '/');
  await page.fill('#login-email', email);
  await page.fill('#login-password', PW);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top .whoami', { state: 'attached' });
}


// Runs setup and the steps in order (a failure stops the run: later steps build
// on earlier ones), fails on browser console errors, a sanitizer report or a
// bad exit of the server, calls cleanup, prints a summary and exits.
export async function runSteps(setup, steps, cleanup = () => {}) {
  let failed = 0;
  let ran = 0;
  try {
    await setup();
    for (const step of steps) {
      const t0 = Date.now();
      ran++;
      try {
        await step();
        console.log(`ok   ${step.name} (${((Date.now() - t0) / 1000).toFixed(2)}s)`);
        if (SHOTS) await shot(step.name);
      } catch (e) {
        failed++;
        console.log(`FAIL ${step.name}: ${e.message}`);
        await shot(`FAIL-${step.name}`);
        console.log(`     screenshots: /tmp/parley-${NAME}-FAIL-${step.name}-*.png`);
        break;
      }
    }
    if (!failed && problems.length) {
      failed++;
      console.log(`FAIL browser console errors:\n  ${problems.join('\n  ')}`);
    }
  } catch (e) {
    failed++;
    console.log(`FAIL setup: ${e.stack || e.message}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await cleanup();
    let code = 0;
    try {
      code = await stopServer();
    } catch (e) {
      failed++;
      console.log(`FAIL ${e.message}`);
    }
    const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
    if (/Sanitizer|runtime error/.test(log)) {
      failed++;
      console.log(`FAIL sanitizer report in the server log:\n${log.slice(-6000)}`);
    } else if (code) {
      failed++;
      console.log(`FAIL parley serve exited ${code}:\n${log.slice(-4000)}`);
    }
    if (!failed) fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`server log and database kept in ${dir}`);
  }
  const passed = ran - (failed ? 1 : 0);
  console.log(`${failed ? Math.max(0, passed) : steps.length} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
