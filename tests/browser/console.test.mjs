// console.test.mjs - the agent console in a real browser (Debian's Chromium
// driven by playwright-core): the real `parley serve` on a free port with a
// temporary database, set up through the API, then used as people would.
//
//   node tests/browser/console.test.mjs build-test/parley
//
// Plain async steps with clear messages; exit code 0 when all pass. On a
// failure a screenshot of every open page goes to /tmp/parley-console-*.png.
// PARLEY_SCREENSHOTS=dir also keeps a screenshot after each step.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  Client,
  PW,
  SECRET,
  SHOTS,
  assert,
  base,
  browser,
  deliver,
  dir,
  launch,
  login,
  newPage,
  pages,
  root,
  runSteps,
  sleep,
  startServer,
} from './harness.mjs';

// A fake Graph API: records every request, answers like /me/messages does.
function startFakeGraph() {
  const requests = [];
  let seq = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ path: req.url, body });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ recipient_id: '7001002003004005', message_id: `m_fake_${++seq}` }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, requests, close: () => server.close() })));
}

// ---- the steps ---------------------------------------------------------------

const S = {}; // ids shared between steps
const admin = new Client();

async function setup() {
  // The vendored modules are the ones package-lock.json pins.
  for (const [file, pkg] of [['preact.module.js', 'preact'], ['hooks.module.js', 'preact'], ['htm.module.js', 'htm']]) {
    const head = fs.readFileSync(path.join(root, 'web/vendor', file), 'utf8').split('\n')[0];
    const want = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    assert(head.includes(`${pkg} ${want} `), `web/vendor/${file} is not ${pkg} ${want} (run web/vendor/refresh.sh): ${head}`);
  }
  await startServer();
  await admin.ok('POST', '/api/v1/auth/login', { email: 'admin@acme.test', password: 'admin-password-1' });
  await admin.ok('PATCH', '/api/v1/me', { availability: 'offline' });
  for (const [name, role] of [['alice', 'agent'], ['bob', 'agent'], ['ann', 'analyst'], ['sue', 'supervisor']]) {
    const u = await admin.ok('POST', '/api/v1/users', { email: `${name}@acme.test`, role, name: name[0].toUpperCase() + name.slice(1), password: PW, capacity: 10 });
    S[name] = u.id;
  }
  const inbox = await admin.ok('POST', '/api/v1/inboxes', { name: 'Partner API', channel: 'api', settings: { hmac_secret: SECRET }, policy: 'round_robin' });
  S.inbox = inbox.id;
  // A local fake of the Graph API receives what Parley sends to Messenger.
  S.fake = await startFakeGraph();
  const fb = await admin.ok('POST', '/api/v1/inboxes', {
    name: 'Facebook page', channel: 'messenger', policy: 'manual',
    settings: { page_id: '104857600000001', app_secret: 'test-app-secret', verify_token: 'vt-1',
                page_access_token: 'page-token', api_base_url: S.fake.url } });
  S.messenger = fb.id;
  await admin.ok('POST', '/api/v1/canned-responses', { title: 'Thanks, on it', short_code: 'thanks', body: 'Thanks {{contact.first_name}}, we are on it. {{agent.name}}' });
  await admin.ok('POST', '/api/v1/labels', { name: 'billing', color: '#cc3300' });
  await launch();
}

async function test_page_headers() {
  const r = await fetch(base + '/');
  assert(r.status === 200, `GET / answered ${r.status}`);
  const csp = r.headers.get('content-security-policy') || '';
  assert(csp.includes("default-src 'self'") && csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'),
    `GET / needs a strict Content-Security-Policy, got: ${csp}`);
  const html = await r.text();
  assert(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'index.html must have no inline script');
  const a = await fetch(base + '/assets/app.js');
  assert(a.status === 200 && a.headers.get('content-type').startsWith('text/javascript'), `app.js: ${a.status} ${a.headers.get('content-type')}`);
  const etag = a.headers.get('etag');
  const again = await fetch(base + '/assets/app.js', { headers: { 'If-None-Match': etag } });
  assert(again.status === 304, `a known ETag should answer 304, got ${again.status}`);
  const missing = await fetch(base + '/assets/nothing.js');
  assert(missing.status === 404, `an unknown asset should be 404, got ${missing.status}`);
}

async function test_login_and_availability() {
  const page = await newPage('alice');
  await page.goto(base + '/');
  await page.fill('#login-email', 'alice@acme.test');
  await page.fill('#login-password', 'wrong-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.login-card [role=alert]');
  const err = await page.textContent('.login-card [role=alert]');
  assert(/not right/.test(err), `a wrong password should be said in words, got: ${err}`);
  await login(page, 'alice@acme.test');
  const who = await page.textContent('header.top .whoami');
  assert(who.includes('Alice') && who.includes('agent'), `the header should name Alice, the agent: ${who}`);
  await page.selectOption('#availability', 'online');
  for (let i = 0; i < 50; i++) {
    const u = await admin.ok('GET', `/api/v1/users/${S.alice}`);
    if (u.availability === 'online') return;
    await sleep(100);
  }
  throw new Error('the availability switch did not make Alice online');
}

async function test_message_appears_live() {
  const page = pages.get('alice');
  await page.waitForSelector('.live-live', { timeout: 10000 });
  await page.evaluate(() => (window.__noReload = true));
  const r = await deliver(S.inbox, 'm-1', 'carol', 'My parcel is late, where is it?');
  S.carol = r.conversation_id;
  await page.waitForSelector(`.conv-list [data-id="${S.carol}"]`, { timeout: 10000 });
  const text = await page.textContent(`.conv-list [data-id="${S.carol}"]`);
  assert(text.includes('My parcel is late'), `the new conversation should show its subject: ${text}`);
  assert(await page.evaluate(() => window.__noReload === true), 'the page must not reload to show a new message');
  const count = await page.textContent('[data-queue=mine] .count');
  assert(count.trim() === '1', `the "Mine" count should be 1 live, got ${count}`);
}

async function test_canned_reply() {
  const page = pages.get('alice');
  await page.click(`.conv-list [data-id="${S.carol}"]`);
  await page.waitForSelector('.timeline .msg.dir-in');
  const profile = await page.textContent('.profile');
  assert(profile.includes('@carol'), `the profile should show the customer's handle: ${profile}`);
  const ta = `#draft-${S.carol}`;
  await page.click(ta);
  await page.type(ta, '/than');
  await page.waitForSelector('.canned [role=option]');
  const opt = await page.textContent('.canned [role=option]');
  assert(opt.includes('/thanks'), `typing /than should offer /thanks: ${opt}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((sel) => document.querySelector(sel).value.startsWith('Thanks Carol'), ta);
  const draft = await page.inputValue(ta);
  assert(draft === 'Thanks Carol, we are on it. Alice', `the canned response should be filled in: ${JSON.stringify(draft)}`);
  await page.click('.composer button[type=submit]');
  await page.waitForSelector('.timeline .msg.dir-out >> text=Thanks Carol, we are on it.');
  assert((await page.inputValue(ta)) === '', 'the composer should be empty after sending');
  const msgs = await admin.ok('GET', `/api/v1/conversations/${S.carol}/messages`);
  assert(msgs.data.some((m) => m.direction === 'out' && m.body === 'Thanks Carol, we are on it. Alice'), 'the reply should be stored');
}

async function test_messenger_message_and_reply_reach_the_platform() {
  const page = pages.get('alice');
  // the real signed Messenger sample, as Meta would post it
  const raw = fs.readFileSync(path.join(root, 'tests/data/webhooks/messenger_message.json'));
  const sig = fs.readFileSync(path.join(root, 'tests/data/webhooks/messenger_message.sig'), 'utf8').trim();
  const r = await fetch(`${base}/webhooks/${S.messenger}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': sig }, body: raw });
  assert(r.status === 200, `the Messenger webhook answered ${r.status}`);
  const cid = (await r.json()).items[0].conversation_id;
  await page.click('[data-queue=all]');
  await page.waitForSelector(`.conv-list [data-id="${cid}"]`, { timeout: 10000 });
  await page.click(`.conv-list [data-id="${cid}"]`);
  await page.waitForSelector('.timeline .msg.dir-in >> text=never arrived');
  const ta = `#draft-${cid}`;
  await page.click(ta);
  await page.type(ta, '/than');
  await page.waitForSelector('.canned [role=option]');
  await page.keyboard.press('Enter');
  await page.waitForFunction((sel) => document.querySelector(sel).value.startsWith('Thanks'), ta);
  const draft = await page.inputValue(ta);
  await page.click('.composer button[type=submit]');
  for (let i = 0; i < 50 && S.fake.requests.length === 0; i++) await sleep(100);
  const req = S.fake.requests[0];
  assert(req && req.path.startsWith('/v19.0/me/messages'), `the fake Graph API should receive the reply: ${JSON.stringify(req)}`);
  const sent = JSON.parse(req.body);
  assert(sent.recipient.id === '7001002003004005' && sent.message.text === draft,
         `Graph API call should carry the canned reply to the customer: ${req.body}`);
  // back where the next steps expect to be
  await page.click('[data-queue=mine]');
  await page.click(`.conv-list [data-id="${S.carol}"]`);
  await page.waitForSelector(`#draft-${S.carol}`);
}

async function test_note_and_resolve_by_keyboard() {
  const page = pages.get('alice');
  const ta = `#draft-${S.carol}`;
  await page.click('.timeline'); // leave the composer: shortcuts are for the page
  await page.keyboard.press('n');
  await page.waitForSelector('.composer.mode-note');
  await page
    .waitForFunction((sel) => document.activeElement === document.querySelector(sel), ta, { timeout: 3000 })
    .catch(() => {
      throw new Error('n should switch the composer to a note and focus it');
    });
  await page.type(ta, 'Checked with the courier.');
  await page.click('.composer button[type=submit]');
  await page.waitForSelector('.timeline .msg.vis-internal >> text=Checked with the courier.');
  const label = await page.textContent('.timeline .msg.vis-internal .vis');
  assert(/Internal note/.test(label), `a note should be marked as internal: ${label}`);
  await page.click('.timeline');
  await page.keyboard.press('e');
  await page.waitForSelector('.conv-head .status-resolved');
  const c = await admin.ok('GET', `/api/v1/conversations/${S.carol}`);
  assert(c.status === 'resolved', `e should resolve the conversation, it is ${c.status}`);
}

async function test_card_in_public_reply_blocked() {
  const page = pages.get('alice');
  const r = await deliver(S.inbox, 'm-2', 'frank', 'Where is my refund??', { visibility: 'public', thread: 'post-9' });
  S.frank = r.conversation_id;
  await page.click('[data-queue=mine]');
  await page.waitForSelector(`.conv-list [data-id="${S.frank}"]`);
  await page.click(`.conv-list [data-id="${S.frank}"]`);
  await page.waitForSelector('.public-warning');
  const warn = await page.textContent('.public-warning');
  assert(/Public reply: visible to everyone/.test(warn), `a public conversation's composer should warn: ${warn}`);
  const ta = `#draft-${S.frank}`;
  await page.fill(ta, 'Refunded to card 4111 1111 1111 1111.');
  await page.waitForSelector('.finding.error', { timeout: 10000 });
  const finding = await page.textContent('.findings');
  assert(/4111 1111 1111 1111/.test(finding), `the card number should be named while typing: ${finding}`);
  await page.click('.composer button[type=submit]');
  await page.waitForSelector('.composer [role=alert]');
  const alert = await page.textContent('.composer [role=alert]');
  assert(/Reply blocked/.test(alert), `the 422 should be shown in words: ${alert}`);
  const msgs = await admin.ok('GET', `/api/v1/conversations/${S.frank}/messages`);
  assert(msgs.data.every((m) => !m.body.includes('4111')), 'a blocked reply must not be stored');
}

async function test_take_public_mention_offline() {
  const page = pages.get('alice');
  // frank's public comment from the previous step is open in the page
  await page.click('button.take-offline');
  await page.waitForSelector('.offline-note');
  const msgs = await admin.ok('GET', `/api/v1/conversations/${S.frank}/messages`);
  const invite = msgs.data.filter((m) => m.kind === 'reply' && m.visibility === 'public');
  assert(invite.length === 1 && /direct message|personally/i.test(invite[0].body),
         `the public invitation should be posted: ${JSON.stringify(invite)}`);
  // resolving now is refused until a public closing note exists, in words
  await page.click('button[title="Resolve (e)"]');
  await page.waitForSelector('.notice-box.error');
  const notice = await page.textContent('.notice-box.error');
  assert(/closing note/.test(notice), `the closing-note rule should be shown: ${notice}`);
  await page.click('.notice-box .ghost');
  const ta = `#draft-${S.frank}`;
  await page.fill(ta, 'Sorted in private, thanks for your patience Frank!');
  await page.click('.composer button[type=submit]');
  const publicReplies = async () =>
    (await admin.ok('GET', `/api/v1/conversations/${S.frank}/messages`)).data.filter(
      (m) => m.kind === 'reply' && m.visibility === 'public').length;
  for (let i = 0; i < 50 && (await publicReplies()) < 2; i++) await sleep(100);
  assert((await publicReplies()) === 2, 'the closing note should be stored');
  await page.waitForSelector(`[data-message-id]:has-text("Sorted in private")`);
  await page.click('button[title="Resolve (e)"]');
  let status = '';
  for (let i = 0; i < 50 && status !== 'resolved'; i++) {
    status = (await admin.ok('GET', `/api/v1/conversations/${S.frank}`)).status;
    if (status !== 'resolved') await sleep(100);
  }
  assert(status === 'resolved', `with its closing note the public thread resolves (status ${status})`);
  // the customer writes again: the thread reopens (and the later steps keep their queue)
  await deliver(S.inbox, 'm-2b', 'frank', 'One more thing about the refund?', { visibility: 'public', thread: 'post-9' });
}

async function test_presence_and_takeover() {
  const alice = pages.get('alice');
  const r = await deliver(S.inbox, 'm-3', 'gina', 'Can someone help with my invoice?');
  S.gina = r.conversation_id;
  await alice.waitForSelector(`.conv-list [data-id="${S.gina}"]`);
  await alice.click(`.conv-list [data-id="${S.gina}"]`);
  await alice.waitForSelector('.conv-head >> text=Assigned to you');
  const bob = await newPage('bob');
  await login(bob, 'bob@acme.test');
  await bob.goto(`${base}/#/c/${S.gina}`);
  await bob.waitForSelector('.timeline .msg');
  // Alice sees Bob arrive, live.
  await alice.waitForSelector('.presence >> text=Bob is viewing');
  // Bob takes over: the API answers 409, the console says who holds it and offers to take over.
  await bob.click('.conv-head .actions button:has-text("Take over")');
  await bob.waitForSelector('.conv-head .notice-box.warn');
  const warn = await bob.textContent('.conv-head .notice-box.warn');
  assert(/Alice is handling this conversation/.test(warn), `the collision warning should name Alice: ${warn}`);
  await bob.click('.conv-head .notice-box button:has-text("Dismiss")');
  // Replying to a held conversation is the same collision: the composer offers to take over and send.
  const ta = `#draft-${S.gina}`;
  await bob.fill(ta, 'I can take this one, Gina.');
  await bob.click('.composer button[type=submit]');
  await bob.waitForSelector('.composer .notice-box.warn');
  const cwarn = await bob.textContent('.composer .notice-box.warn');
  assert(/Alice is handling this conversation/.test(cwarn), `the composer should warn that Alice holds it: ${cwarn}`);
  await bob.click('.composer .notice-box .warn-btn');
  await bob.waitForSelector('.timeline .msg.dir-out >> text=I can take this one, Gina.');
  await bob.waitForSelector('.conv-head >> text=Assigned to you');
  const c = await admin.ok('GET', `/api/v1/conversations/${S.gina}`);
  assert(c.assignee_id === S.bob, `Bob should hold the conversation now, it is ${c.assignee_id}`);
  // ... and Alice's view follows without a reload.
  await alice.waitForSelector('.conv-head >> text=Assigned to Bob');
  await bob.context().close();
  pages.delete('bob');
}

async function test_search_by_keyboard() {
  const page = pages.get('alice');
  await page.click('.timeline');
  await page.keyboard.press('/');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'search', null, { timeout: 3000 });
  await page.keyboard.type('invoice');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.results a[href="#/c/${S.gina}"]`);
  const hit = await page.textContent(`.results a[href="#/c/${S.gina}"]`);
  assert(/invoice/.test(hit), `the search hit should show the matching text: ${hit}`);
  await page.click(`.results a[href="#/c/${S.gina}"]`);
  await page.waitForSelector(`#draft-${S.gina}`);
  await page.click('.results button:has-text("Back to the queue")');
  await page.waitForSelector('.conv-list');
}

async function test_analyst_sees_no_composer() {
  const page = await newPage('ann');
  await login(page, 'ann@acme.test');
  await page.goto(`${base}/#/c/${S.frank}`);
  await page.waitForSelector('.timeline .msg');
  assert((await page.$('.composer')) === null, 'an analyst must see no composer');
  assert((await page.$('.conv-head .actions')) === null, 'an analyst must see no action buttons');
  assert((await page.$('[data-queue=mine]')) === null, 'an analyst has no "Mine" queue');
  const banner = await page.textContent('.banner.readonly');
  assert(/Read-only/.test(banner), `the analyst should be told the console is read-only: ${banner}`);
  await page.click('header nav a[href="#/overview"]');
  await page.waitForSelector('#ov-agents');
  const agents = await page.textContent('#ov-agents');
  assert(/1 online/.test(agents), `the overview should count Alice online: ${agents}`);
  const buttons = await page.$$eval('main button, .desk button', (b) => b.map((x) => x.textContent.trim()));
  assert(!buttons.some((t) => /Resolve|Take|Send|Reopen|Release/.test(t)), `no write button for an analyst: ${buttons}`);
}

async function test_phone_width() {
  const page = await newPage('phone', { width: 390, height: 800 });
  await login(page, 'sue@acme.test');
  await page.click('[data-queue=all]');
  await page.waitForSelector(`.conv-list [data-id="${S.frank}"]`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the phone layout should not scroll sideways (${overflow}px too wide)`);
  await page.click(`.conv-list [data-id="${S.frank}"]`);
  await page.waitForSelector('.composer');
  assert(await page.isVisible('.back'), 'a phone shows a way back to the list');
  assert(!(await page.isVisible('.conv-list')), 'a phone shows one pane at a time');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'parley-console-phone-conversation.png') });
  await page.context().close();
  pages.delete('phone');
}

async function test_logout_returns_to_login() {
  const page = pages.get('alice');
  // The session ends behind the page's back (idle logout, signed out elsewhere) ...
  const st = await page.evaluate(() => fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-Requested-With': 'parley' } }).then((r) => r.status));
  assert(st === 204 || st === 200, `logout answered ${st}`);
  // ... and the next call answers 401: back to the login page, said in words.
  await page.click('[data-queue=unassigned]');
  await page.waitForSelector('#login-email', { timeout: 10000 });
  const notice = await page.textContent('.login-card .notice');
  assert(/session has ended/.test(notice), `the login page should say the session ended: ${notice}`);
  await login(page, 'alice@acme.test');
}

const steps = [
  test_page_headers,
  test_login_and_availability,
  test_message_appears_live,
  test_canned_reply,
  test_messenger_message_and_reply_reach_the_platform,
  test_note_and_resolve_by_keyboard,
  test_card_in_public_reply_blocked,
  test_take_public_mention_offline,
  test_presence_and_takeover,
  test_search_by_keyboard,
  test_analyst_sees_no_composer,
  test_phone_width,
  test_logout_returns_to_login,
];

await runSteps(setup, steps, () => S.fake && S.fake.close());
