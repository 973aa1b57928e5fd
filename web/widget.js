/*
 * widget.js - Parley's website chat: an embeddable chat bubble, no dependencies.
 *
 *   <script src="https://desk.example.com/widget.js" data-inbox="12"
 *           data-token="WIDGET_TOKEN" async></script>
 *
 * Optional, for the brand's logged-in customers (identity verification):
 *   data-user-id="cust-123" data-user-hash="<hex HMAC-SHA256(identity_secret, cust-123)>"
 *   data-user-name="Ann Lee" data-user-email="ann@example.com"
 *
 * Owns the visitor's side of the chat: a visitor id and secret kept in
 * localStorage (so a reload keeps the conversation), sending with POST,
 * agents' replies live over EventSource. Drawn inside a Shadow DOM so the
 * host page's CSS cannot break it, and its CSS cannot leak into the page.
 * Every text is inserted as text, never as HTML.
 */
(function () {
  'use strict';
  if (window.__parleyWidget) return;
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll('script[data-inbox][src*="widget.js"]');
    script = all[all.length - 1];
  }
  if (!script) return;
  window.__parleyWidget = true;

  var inbox = script.getAttribute('data-inbox');
  var token = script.getAttribute('data-token');
  if (!inbox || !/^[0-9]+$/.test(inbox) || !token) {
    console.error('parley widget: data-inbox and data-token are required');
    return;
  }
  var base = new URL(script.src, location.href).origin;
  var api = base + '/widget/' + inbox;
  var user = {
    id: script.getAttribute('data-user-id'),
    hash: script.getAttribute('data-user-hash'),
    name: script.getAttribute('data-user-name'),
    email: script.getAttribute('data-user-email')
  };
  var verified = !!(user.id && user.hash);

  /* ---- state kept across reloads ---------------------------------------- */

  var storeKey = 'parley-chat:' + base + ':' + inbox;
  var memory = {};
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || '{}') || {}; } catch (e) { return memory; }
  }
  function save(s) {
    memory = s;
    try { localStorage.setItem(storeKey, JSON.stringify(s)); } catch (e) { /* private mode */ }
  }
  function randomId(prefix) {
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    var h = '';
    for (var i = 0; i < b.length; i++) h += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return prefix + h;
  }

  var state = load();
  if (verified) {
    if (state.visitor_id !== user.id) state = { visitor_id: user.id };
  } else if (!state.visitor_id || state.verified) {
    state = { visitor_id: randomId('v') }; /* a logged-out page never reads a customer's chat */
  }
  state.verified = verified;
  save(state);

  function reset() {
    closeStream();
    state = { visitor_id: verified ? user.id : randomId('v'), verified: verified };
    save(state);
    lastId = 0;
    log.textContent = '';
    seen = {};
  }

  /* ---- the server -------------------------------------------------------- */

  function credentials() {
    var q = 'visitor_id=' + encodeURIComponent(state.visitor_id) + '&token=' + encodeURIComponent(token);
    if (verified) q += '&identity_hash=' + encodeURIComponent(user.hash);
    else if (state.visitor_token) q += '&visitor_token=' + encodeURIComponent(state.visitor_token);
    return q;
  }
  function request(method, path, body) {
    var headers = { 'X-Parley-Widget-Token': token };
    if (state.visitor_token) headers['X-Parley-Visitor-Token'] = state.visitor_token;
    if (body) headers['Content-Type'] = 'application/json';
    return fetch(api + path, {
      method: method, headers: headers, credentials: 'omit', mode: 'cors',
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { /* not JSON */ }
        if (!r.ok) {
          var err = new Error((data && data.detail) || ('HTTP ' + r.status));
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }
  function canRead() { return verified || !!state.visitor_token; }

  /* ---- the view ---------------------------------------------------------- */

  var css = [
    ':host{all:initial}',
    '*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
    '.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;',
    'border:0;background:var(--c);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);',
    'display:flex;align-items:center;justify-content:center;z-index:2147483000}',
    '.launcher:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}',
    '.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;',
    'background:#d1242f;color:#fff;font-size:12px;line-height:20px;padding:0 5px}',
    '.panel{position:fixed;right:20px;bottom:88px;width:360px;max-width:calc(100vw - 24px);',
    'height:520px;max-height:calc(100vh - 110px);background:#fff;color:#1f2328;border-radius:12px;',
    'box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;',
    'z-index:2147483000;font-size:14px}',
    '.panel[hidden]{display:none}',
    'header{background:var(--c);color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}',
    'header h2{font-size:16px;margin:0;flex:1;font-weight:600}',
    'header button{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 6px;border-radius:4px}',
    '.greeting{padding:10px 14px;background:#f6f8fa;border-bottom:1px solid #d0d7de;margin:0}',
    '.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;overscroll-behavior:contain}',
    '.msg{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.msg.visitor{align-self:flex-end;background:var(--c);color:#fff;border-bottom-right-radius:3px}',
    '.msg.agent,.msg.bot,.msg.system{align-self:flex-start;background:#eef1f4;border-bottom-left-radius:3px}',
    '.msg .who{display:block;font-size:11px;opacity:.75;margin-bottom:2px}',
    '.msg.pending{opacity:.6}',
    '.msg.failed{outline:2px solid #d1242f}',
    '.msg .retry{display:block;margin-top:4px;background:#fff;color:#d1242f;border:1px solid #d1242f;border-radius:6px;font-size:12px;cursor:pointer}',
    '.typing{padding:0 14px 6px;font-size:12px;color:#57606a;min-height:18px}',
    '.error{color:#d1242f;padding:0 14px 6px;font-size:12px;margin:0}',
    '.error:empty{display:none}',
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de}',
    'textarea{flex:1;resize:none;border:1px solid #8c959f;border-radius:8px;padding:8px;font-size:14px;height:42px;max-height:120px}',
    '.send{border:0;background:var(--c);color:#fff;border-radius:8px;padding:0 14px;font-size:14px;cursor:pointer}',
    '.send:disabled{opacity:.5;cursor:default}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '@media (prefers-reduced-motion:no-preference){.panel{transition:opacity .15s}}'
  ].join('');

  var host = document.createElement('div');
  host.setAttribute('data-parley-widget', inbox);
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css); /* constructed sheets need no 'unsafe-inline' in the site's CSP */
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement('style');
    style.textContent = css;
    root.appendChild(style);
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  var panelId = 'parley-chat-panel';
  var launcher = el('button', { type: 'button', 'class': 'launcher', 'aria-label': 'Open chat',
    'aria-expanded': 'false', 'aria-controls': panelId });
  launcher.innerHTML = '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 2-2z"/></svg>';
  var badge = el('span', { 'class': 'badge', hidden: '' });
  launcher.appendChild(badge);

  var panel = el('section', { 'class': 'panel', id: panelId, role: 'dialog', 'aria-modal': 'false',
    'aria-labelledby': 'parley-chat-title', hidden: '' });
  var header = el('header');
  var title = el('h2', { id: 'parley-chat-title' }, 'Chat with us');
  var closeBtn = el('button', { type: 'button', 'aria-label': 'Close chat' }, '\u00d7');
  header.appendChild(title);
  header.appendChild(closeBtn);
  var greeting = el('p', { 'class': 'greeting', hidden: '' });
  var log = el('div', { 'class': 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' });
  var typing = el('div', { 'class': 'typing', 'aria-live': 'polite' });
  var errorBox = el('p', { 'class': 'error', role: 'alert' });
  var form = el('form');
  var label = el('label', { 'for': 'parley-chat-input', 'class': 'sr' }, 'Your message');
  var input = el('textarea', { id: 'parley-chat-input', rows: '1', maxlength: '10000',
    placeholder: 'Write a message\u2026', autocomplete: 'off' });
  var send = el('button', { type: 'submit', 'class': 'send' }, 'Send');
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  [header, greeting, log, typing, errorBox, form].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(launcher);
  root.appendChild(panel);
  host.style.setProperty('--c', '#1f6feb');

  /* ---- messages ---------------------------------------------------------- */

  var seen = {};
  var lastId = 0;
  var unread = 0;
  var typingTimer = null;

  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 40; }
  function render(m, node) {
    var stick = atBottom();
    var n = node || el('div');
    n.className = 'msg ' + m.from;
    n.textContent = '';
    if (m.from !== 'visitor') {
      n.appendChild(el('span', { 'class': 'who' }, m.author_name || (m.from === 'agent' ? 'Agent' : 'Support')));
    } else {
      n.appendChild(el('span', { 'class': 'sr' }, 'You: '));
    }
    n.appendChild(document.createTextNode(m.body));
    if (!node) log.appendChild(n);
    if (stick || m.from === 'visitor') log.scrollTop = log.scrollHeight;
    return n;
  }
  function receive(m) {
    if (m.id > lastId) lastId = m.id;
    if (seen[m.id]) return;
    seen[m.id] = true;
    render(m);
    if (m.from !== 'visitor') {
      setTyping(false);
      if (panel.hidden) {
        unread++;
        badge.textContent = String(unread);
        badge.hidden = false;
        launcher.setAttribute('aria-label', 'Open chat, ' + unread + ' unread');
      }
    }
  }
  function setTyping(on) {
    clearTimeout(typingTimer);
    typing.textContent = on ? 'Agent is typing\u2026' : '';
    if (on) typingTimer = setTimeout(function () { setTyping(false); }, 8000);
  }
  function showError(text) { errorBox.textContent = text || ''; }

  function fetchHistory() {
    if (!canRead()) return Promise.resolve();
    return request('GET', '/messages?' + credentials() + '&after=' + lastId).then(function (page) {
      (page && page.data || []).forEach(receive);
      if (page && page.next) return fetchHistory();
    }).catch(function (e) {
      if (e.status === 401) reset(); /* our secret is no longer known: start afresh */
      else showError('Messages could not be loaded: ' + e.message);
    });
  }

  var stream = null;
  function openStream() {
    if (stream || !canRead() || typeof EventSource === 'undefined') return;
    stream = new EventSource(api + '/stream?' + credentials() + '&after=' + lastId);
    stream.addEventListener('message', function (ev) {
      try { receive(JSON.parse(ev.data)); } catch (e) { /* ignore a bad frame */ }
    });
    stream.addEventListener('typing', function (ev) {
      try { setTyping(JSON.parse(ev.data).state === 'typing'); } catch (e) { /* ignore */ }
    });
    stream.onerror = function () {
      if (stream && stream.readyState === EventSource.CLOSED) {
        /* refused (e.g. too many tabs): try again later, picking up what was missed */
        closeStream();
        setTimeout(function () { fetchHistory().then(openStream); }, 15000);
      }
    };
  }
  function closeStream() {
    if (stream) stream.close();
    stream = null;
  }

  function sendMessage(body, node, id) {
    var msg = { visitor_id: state.visitor_id, id: id, body: body };
    if (verified) {
      msg.identity_hash = user.hash;
      if (user.name) msg.name = user.name;
      if (user.email) msg.email = user.email;
    }
    node.className = 'msg visitor pending';
    return request('POST', '/messages', msg).then(function (res) {
      if (res.visitor_token) {
        state.visitor_token = res.visitor_token;
        save(state);
      }
      node.classList.remove('pending');
      seen[res.message_id] = true;
      showError('');
      openStream();
    }).catch(function (e) {
      if (e.status === 401 && !verified && !state.visitor_token) {
        /* the id was taken before we learnt its secret: become a new visitor, send again */
        state = { visitor_id: randomId('v'), verified: false };
        save(state);
        return sendMessage(body, node, id);
      }
      node.className = 'msg visitor failed';
      var retry = el('button', { type: 'button', 'class': 'retry' }, 'Not sent \u2014 retry');
      retry.addEventListener('click', function () { retry.remove(); sendMessage(body, node, id); });
      node.appendChild(retry);
      showError('Your message was not sent: ' + e.message);
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = input.value.replace(/\s+$/, '');
    if (!body.trim()) return;
    input.value = '';
    var node = render({ from: 'visitor', body: body });
    sendMessage(body, node, randomId('m'));
    input.focus();
  });
  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      if (form.requestSubmit) form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });

  /* ---- open and close ---------------------------------------------------- */

  function open() {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-label', 'Close chat');
    unread = 0;
    badge.hidden = true;
    input.focus();
    log.scrollTop = log.scrollHeight;
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-label', 'Open chat');
    launcher.focus();
  }
  launcher.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener('click', close);
  panel.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') { ev.stopPropagation(); close(); }
  });

  function start() {
    document.body.appendChild(host);
    request('GET', '/config?token=' + encodeURIComponent(token)).then(function (cfg) {
      if (!cfg) return;
      title.textContent = cfg.name || 'Chat with us';
      var hours = cfg.service_hours;
      var away = hours && hours.open_now === false ? (hours.message || ('We reply ' + (hours.description || 'during business hours'))) : '';
      var intro = [cfg.greeting || '', away].filter(Boolean).join(' ');
      if (intro) { greeting.textContent = intro; greeting.hidden = false; }
      if (cfg.color) host.style.setProperty('--c', cfg.color);
    }).catch(function (e) { showError('The chat is unavailable: ' + e.message); });
    fetchHistory().then(openStream);
  }
  window.ParleyChat = { open: open, close: close };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
