// admin.test.mjs - the supervisor's and analyst's half of the console in a
// real browser (Debian's Chromium driven by playwright-core): reports with
// charts and CSV downloads, the settings pages (create, field errors,
// read-only for analysts), the audit trail and the website chat widget demo,
// against the real `parley serve` with a temporary database.
//
//   node tests/browser/admin.test.mjs build-test/parley
//
// Same conventions as console.test.mjs: plain async steps, exit code 0 when all
// pass; on a failure screenshots go to /tmp/parley-admin-*.png;
// PARLEY_SCREENSHOTS=dir keeps one after each step.
import fs from 'node:fs';
import path from 'node:path';
import {
  Client,
  PW,
  SECRET,
  assert,
  base,
  browser,
  deliver,
  dir,
  launch,
  login,
  newPage,
  pages,
  problems,
  root,
  runSteps,
  startServer,
} from './harness.mjs';

// ---- the steps ---------------------------------------------------------------

const S = {}; // ids shared between steps
const admin = new Client();
const WIDGET_TOKEN = 'widget-token-0123456789abcdef';

async function setup() {
  // The vendored uPlot is the one package-lock.json pins.
  for (const file of ['uPlot.esm.js', 'uPlot.min.css']) {
    const head = fs.readFileSync(path.join(root, 'web/vendor', file), 'utf8').split('\n')[0];
    const want = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/uplot/package.json'), 'utf8')).version;
    assert(head.includes(`uplot ${want} `), `web/vendor/${file} is not uplot ${want} (run web/vendor/refresh.sh): ${head}`);
  }
  await startServer();
  await admin.ok('POST', '/api/v1/auth/login', { email: 'admin@acme.test', password: 'admin-password-1' });
  await admin.ok('PATCH', '/api/v1/me', { availability: 'offline' });
  for (const [name, role] of [['alice', 'agent'], ['ann', 'analyst'], ['sue', 'supervisor']]) {
    const u = await admin.ok('POST', '/api/v1/users', { email: `${name}@acme.test`, role, name: name[0].toUpperCase() + name.slice(1), password: PW, capacity: 10 });
    S[name] = u.id;
  }
  await admin.ok('PATCH', `/api/v1/users/${S.alice}`, { availability: 'online' });
  const inbox = await admin.ok('POST', '/api/v1/inboxes', { name: 'Partner API', channel: 'api', settings: { hmac_secret: SECRET }, policy: 'round_robin' });
  S.inbox = inbox.id;
  const web = await admin.ok('POST', '/api/v1/inboxes', { name: 'Shop chat', channel: 'web', settings: { widget_token: WIDGET_TOKEN, allowed_origins: ['https://shop.example.com'] }, policy: 'round_robin' });
  S.web = web.id;
  // Some traffic for the reports: two conversations, one answered and resolved.
  const a = await deliver(S.inbox, 'r-1', 'carol', 'My parcel is late, where is it?');
  await deliver(S.inbox, 'r-2', 'dave', 'The app crashes when I pay, this is terrible.');
  S.carol = a.conversation_id;
  const alice = new Client();
  await alice.ok('POST', '/api/v1/auth/login', { email: 'alice@acme.test', password: PW });
  const c = await admin.ok('GET', `/api/v1/conversations/${S.carol}`);
  if (c.assignee_id !== S.alice) await alice.ok('POST', `/api/v1/conversations/${S.carol}/assign`, { user_id: S.alice });
  await alice.ok('POST', `/api/v1/conversations/${S.carol}/messages`, { kind: 'reply', body: 'It is on its way, Carol.', takeover: true });
  const now = await admin.ok('GET', `/api/v1/conversations/${S.carol}`);
  await alice.ok('PATCH', `/api/v1/conversations/${S.carol}`, { status: 'resolved', version: now.version });
  await launch();
}

async function test_assets() {
  for (const [file, type] of [['uPlot.esm.js', 'text/javascript'], ['uPlot.min.css', 'text/css'], ['reports.js', 'text/javascript'], ['settings.js', 'text/javascript']]) {
    const r = await fetch(`${base}/assets/${file}`);
    assert(r.status === 200 && (r.headers.get('content-type') || '').startsWith(type), `/assets/${file}: ${r.status} ${r.headers.get('content-type')}`);
  }
}

async function test_reports_match_the_api() {
  const page = await newPage('sue');
  await login(page, 'sue@acme.test');
  await page.click('header nav a[href="#/reports"]');
  await page.waitForSelector('#chart-volume .chart-box canvas');
  const charts = await page.$$eval('.chart .chart-box canvas', (c) => c.length);
  assert(charts >= 5, `the reports page should draw its charts, found ${charts} canvases`);
  const sum = await admin.ok('GET', '/api/v1/reports/summary');
  for (const [metric, want] of [['volume.received', sum.volume.received], ['volume.resolved', sum.volume.resolved]]) {
    const got = (await page.textContent(`[data-metric="${metric}"]`)).trim();
    assert(got === String(want), `${metric} on the page (${got}) should match GET /api/v1/reports/summary (${want})`);
  }
  assert(sum.volume.received === 2, `the summary should count the two conversations, got ${sum.volume.received}`);
  const agents = await page.textContent('#rp-agents-table');
  assert(agents.includes('Alice'), `the per-agent table should list Alice: ${agents}`);
  const inboxes = await page.textContent('#rp-inboxes-table');
  assert(inboxes.includes('Partner API'), `the per-inbox table should list the inbox: ${inboxes}`);
  const channels = await page.textContent('#rp-channel-table');
  assert(/API\s*2/.test(channels), `volume by channel should show 2 on the API channel: ${channels}`);
  // A filter changes the query: priority critical has nothing.
  await page.selectOption('#rp-priority', 'critical');
  await page.waitForFunction(() => document.querySelector('[data-metric="volume.received"]').textContent.trim() === '0');
  await page.selectOption('#rp-priority', '');
  await page.waitForFunction(() => document.querySelector('[data-metric="volume.received"]').textContent.trim() === '2');
}

async function test_csv_download() {
  const page = pages.get('sue');
  const href = await page.getAttribute('a[data-csv=summary]', 'href');
  assert(href.startsWith('/api/v1/reports/summary.csv?') && href.includes('since='), `the CSV link should carry the period: ${href}`);
  const got = await page.evaluate(async (h) => {
    const r = await fetch(h);
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
  }, href);
  assert(got.status === 200 && /text\/csv/.test(got.type), `the CSV answered ${got.status} ${got.type}`);
  const header = got.text.split('\r\n')[0];
  assert(header.startsWith('volume.received,'), `the CSV should start with its header row: ${header.slice(0, 80)}`);
  await page.check('#rp-bom');
  const bomHref = await page.getAttribute('a[data-csv=agents]', 'href');
  assert(/[?&]bom=1/.test(bomHref), `the Excel option should add bom=1: ${bomHref}`);
  const bytes = await page.evaluate(async (h) => [...new Uint8Array(await (await fetch(h)).arrayBuffer()).slice(0, 3)], bomHref);
  assert(bytes.join() === '239,187,191', `bom=1 should start with a UTF-8 byte order mark: ${bytes}`);
}

async function test_admin_creates_label_and_canned() {
  const page = await newPage('admin');
  await page.goto(base + '/');
  await page.fill('#login-email', 'admin@acme.test');
  await page.fill('#login-password', 'admin-password-1');
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top .whoami', { state: 'attached' });
  await page.click('header nav a[href="#/settings"]');
  await page.click('.settings-nav a[href="#/settings/labels"]');
  await page.waitForSelector('[data-section=labels] table');
  // An empty name: the API's 422 is shown next to the field, in words.
  await page.click('[data-section=labels] button[data-action=new]');
  await page.click('.editor button[type=submit]');
  await page.waitForSelector('.field-error[data-field=name]');
  const err = await page.textContent('.field-error[data-field=name]');
  assert(/name must not be empty/.test(err), `the empty name should be named next to the field: ${err}`);
  assert((await page.getAttribute('#f-labels-name', 'aria-invalid')) === 'true', 'the invalid field should be marked aria-invalid');
  await page.fill('#f-labels-name', 'vip');
  await page.fill('#f-labels-color', '#aa3300');
  await page.click('.editor button[type=submit]');
  await page.waitForSelector('[data-section=labels] tbody th >> text=vip');
  const labels = await admin.ok('GET', '/api/v1/labels');
  const vip = labels.data.find((l) => l.name === 'vip');
  assert(vip && vip.color.toLowerCase() === '#aa3300', `the label should be stored with its colour: ${JSON.stringify(labels.data)}`);
  S.vip = vip.id;
  // A canned response, first without its text.
  await page.click('.settings-nav a[href="#/settings/canned"]');
  await page.waitForSelector('[data-section=canned] table');
  await page.click('[data-section=canned] button[data-action=new]');
  await page.fill('#f-canned-title', 'Refund sent');
  await page.fill('#f-canned-short_code', 'refund');
  await page.click('.editor button[type=submit]');
  await page.waitForSelector('.field-error[data-field=body]');
  const cerr = await page.textContent('.field-error[data-field=body]');
  assert(/body must not be empty/.test(cerr), `the empty text should be named next to its field: ${cerr}`);
  await page.fill('#f-canned-body', 'Hi {{contact.first_name}}, your refund is on its way.');
  await page.click('.editor button[type=submit]');
  await page.waitForSelector('[data-section=canned] tbody th >> text=/refund');
  const canned = await admin.ok('GET', '/api/v1/canned-responses');
  assert(canned.data.some((c) => c.short_code === 'refund' && c.title === 'Refund sent'), 'the canned response should be stored');
  // Admins see every section, webhooks included; the web inbox links its widget demo.
  const nav = await page.textContent('.settings-nav');
  for (const s of ['Users', 'Inboxes', 'Business hours', 'Outbound webhooks', 'SLA policies', 'Teams'])
    assert(nav.includes(s), `an admin's settings should offer ${s}: ${nav}`);
  await page.click('.settings-nav a[href="#/settings/inboxes"]');
  await page.waitForSelector(`[data-section=inboxes] a[data-demo="${S.web}"]`);
  // An inbox's secrets are never shown, not even masked, in the edit form.
  await page.click(`[data-section=inboxes] tr[data-id="${S.inbox}"] button[data-action=edit]`);
  await page.waitForSelector('#f-inboxes-settings-hmac_secret');
  assert((await page.inputValue('#f-inboxes-settings-hmac_secret')) === '', 'a secret must be write-only in the form');
  await page.click('.editor button:has-text("Cancel")');
}

async function test_supervisor_settings() {
  const page = pages.get('sue');
  await page.click('header nav a[href="#/settings"]');
  await page.click('.settings-nav a[href="#/settings/labels"]');
  await page.waitForSelector('[data-section=labels] button[data-action=new]');
  await page.click('.settings-nav a[href="#/settings/users"]');
  await page.waitForSelector('[data-section=users] table');
  assert((await page.$('[data-section=users] button')) === null, 'a supervisor gets no user buttons (admins only)');
  const nav = await page.textContent('.settings-nav');
  assert(!nav.includes('webhooks'), `a supervisor cannot read webhooks: ${nav}`);
}

async function test_analyst_read_only_settings() {
  const page = await newPage('ann');
  await login(page, 'ann@acme.test');
  await page.click('header nav a[href="#/settings"]');
  await page.waitForSelector('.settings-nav');
  const links = await page.$$eval('.settings-nav a', (a) => a.map((x) => x.getAttribute('href')));
  assert(links.length >= 6 && !links.some((h) => h.endsWith('webhooks')), `an analyst reads the settings but not webhooks: ${links}`);
  for (const href of links) {
    const key = href.split('/').pop();
    await page.click(`.settings-nav a[href="${href}"]`);
    await page.waitForSelector(`[data-section=${key}] table`);
    const buttons = await page.$$eval('main button', (b) => b.map((x) => x.textContent.trim()));
    assert(buttons.length === 0, `an analyst should see no button on ${key}: ${buttons}`);
  }
  const alice = await newPage('alice');
  await login(alice, 'alice@acme.test');
  assert((await alice.$('header nav a[href="#/settings"]')) === null, 'an agent has no settings');
  assert((await alice.$('header nav a[href="#/reports"]')) === null, 'an agent has no reports link');
}

async function test_audit_trail() {
  const page = pages.get('ann');
  await page.click('header nav a[href="#/audit"]');
  await page.waitForSelector('table.events tbody tr');
  await page.fill('#au-type', 'label.created');
  await page.click('main form button[type=submit]');
  await page.waitForSelector(`table.events tr[data-type="label.created"]`);
  const rows = await page.$$eval('table.events tbody tr', (r) => r.map((x) => x.textContent));
  assert(rows.length >= 1 && rows.every((t) => t.includes('label.created')), `only label.created events should be listed: ${rows}`);
  assert(rows.some((t) => t.includes('vip') && t.includes('Administrator')), `the vip label's creation by the admin should be listed: ${rows}`);
  // Paging: more than a page of events follows the cursor ("Load more").
  for (let i = 0; i < 30; i++) await admin.ok('PATCH', '/api/v1/me', { availability: i % 2 ? 'offline' : 'away' });
  await page.fill('#au-type', '');
  await page.click('main form button[type=submit]');
  await page.waitForSelector('table.events tbody tr[data-type="account.created"]');
  const first = await page.$$eval('table.events tbody tr', (r) => r.length);
  assert(first === 50, `the first page should hold 50 events, got ${first}`);
  await page.click('main button.more');
  await page.waitForFunction((n) => document.querySelectorAll('table.events tbody tr').length > n, first);
}

async function test_overview() {
  const page = pages.get('sue');
  await page.click('header nav a[href="#/overview"]');
  await page.waitForSelector('#ov-breaches');
  await page.waitForFunction(() => !document.querySelector('#ov-breaches').textContent.includes('…'));
  const today = await page.textContent('section[aria-labelledby=ov-today]');
  assert(/Received/.test(today), `the overview should show today's volume: ${today}`);
  const agents = await page.textContent('#ov-agents');
  assert(/1 online/.test(agents), `Alice is online: ${agents}`);
}

async function test_widget_demo_round_trip() {
  const alice = pages.get('alice');
  await alice.waitForSelector('.live-live', { timeout: 10000 });
  await alice.click('[data-queue=all]');
  const sue = pages.get('sue');
  await sue.click('header nav a[href="#/chat-demo"]');
  const href = await sue.getAttribute(`a[data-demo="${S.web}"]`, 'href');
  assert(href === `/widget-demo/${S.web}`, `the console should link the widget demo: ${href}`);
  const demo = await sue.context().newPage();
  demo.on('pageerror', (e) => problems.push(`demo: uncaught ${e.message}`));
  pages.set('demo', demo);
  await demo.goto(base + href);
  await demo.click('button.launcher'); // Playwright's CSS pierces the widget's open Shadow DOM
  await demo.fill('#parley-chat-input', 'Hello from the shop, do you ship to Norway?');
  await demo.click('button.send');
  await alice.waitForSelector('.conv-list .conv-item >> text=do you ship to Norway', { timeout: 10000 });
  await alice.click('.conv-list .conv-item >> text=do you ship to Norway');
  await alice.waitForSelector('.timeline .msg.dir-in');
  const id = Number((await alice.evaluate(() => location.hash)).split('/').pop());
  await alice.fill(`#draft-${id}`, 'Yes, we ship to Norway.');
  await alice.click('.composer button[type=submit]');
  await demo.waitForSelector('.msg >> text=Yes, we ship to Norway.', { timeout: 10000 });
}

const steps = [
  test_assets,
  test_reports_match_the_api,
  test_csv_download,
  test_admin_creates_label_and_canned,
  test_supervisor_settings,
  test_analyst_read_only_settings,
  test_audit_trail,
  test_overview,
  test_widget_demo_round_trip,
];

await runSteps(setup, steps);
