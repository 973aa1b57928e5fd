// app.js - the console's entry: signs in, holds the signed-in user, the
// account's catalogues (users, inboxes, labels) and the live stream, and
// shows the desk, the overview, the reports, the settings or the audit trail.
import { render } from './preact.module.js';
import { useState, useEffect, useRef, useCallback } from './hooks.module.js';
import { html, canWork, go } from './util.js';
import { get, patch, post, all, onUnauthorized } from './api.js';
import { connect } from './live.js';
import { Login } from './login.js';
import { Desk } from './desk.js';
import { Overview } from './overview.js';
import { Reports } from './reports.js';
import { Settings, seesSettings } from './settings.js';
import { Audit } from './audit.js';

function parseRoute() {
  const h = location.hash.replace(/^#/, '');
  let m;
  if ((m = h.match(/^\/c\/(\d+)$/))) return { page: 'desk', conv: Number(m[1]) };
  if (h === '/overview') return { page: 'overview' };
  if (h === '/reports') return { page: 'reports' };
  if (h === '/audit') return { page: 'audit' };
  if (h === '/chat-demo') return { page: 'chat-demo' };
  if ((m = h.match(/^\/settings(?:\/([a-z]+))?$/))) return { page: 'settings', section: m[1] || '' };
  return { page: 'desk', conv: null };
}

function useRoute() {
  const [route, setRoute] = useState(parseRoute);
  useEffect(() => {
    const on = () => setRoute(parseRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

const ENDED = 'Your session has ended (signed out, or idle for too long). Sign in again to continue.';

function App() {
  const [me, setMe] = useState(undefined);
  const [notice, setNotice] = useState('');
  useEffect(() => {
    onUnauthorized(() => {
      setMe((was) => {
        if (was) setNotice(ENDED);
        return null;
      });
    });
    get('/api/v1/me', { quiet401: true })
      .then(setMe)
      .catch((e) => {
        setMe(null);
        if (e.status !== 401) setNotice(e.message);
      });
  }, []);
  if (me === undefined) return html`<p class="loading" role="status">Loading the desk…</p>`;
  if (!me)
    return html`<${Login} notice=${notice} onLogin=${(u) => {
      setNotice('');
      setMe(u);
      get('/api/v1/me').then(setMe).catch(() => {});
    }} />`;
  return html`<${Shell} me=${me} setMe=${setMe} onSignedOut=${() => {
    setNotice('You signed out.');
    setMe(null);
  }} />`;
}

function Shell({ me, setMe, onSignedOut }) {
  const route = useRoute();
  const [cat, setCat] = useState({ users: [], inboxes: [], labels: [] });
  const [catError, setCatError] = useState('');
  const [live, setLive] = useState('connecting');
  const [search, setSearch] = useState('');
  const [availError, setAvailError] = useState('');
  const listeners = useRef(new Set());
  const searchRef = useRef(null);

  const subscribe = useCallback((fn) => {
    listeners.current.add(fn);
    return () => listeners.current.delete(fn);
  }, []);

  const loadCatalogues = useCallback(async () => {
    try {
      const [users, inboxes, labels] = await Promise.all([
        all('/api/v1/users'),
        all('/api/v1/inboxes'),
        all('/api/v1/labels'),
      ]);
      setCat({ users, inboxes, labels });
      setCatError('');
    } catch (e) {
      if (e.status !== 401) setCatError(`The account's users, inboxes and labels could not be loaded. ${e.message}`);
    }
  }, []);

  useEffect(() => {
    loadCatalogues();
    const stop = connect({
      onEvent: (ev) => {
        if (/^(user|inbox|label)\.(created|updated|deleted)$/.test(ev.type)) loadCatalogues();
        if (ev.type === 'user.updated' && ev.subject && ev.subject.id === me.id)
          get('/api/v1/me').then(setMe).catch(() => {});
        for (const fn of listeners.current) fn(ev);
      },
      onState: (s) => {
        setLive(s);
        // A stream that ends may mean the session ended: ask, and a 401 signs out.
        if (s === 'down') get('/api/v1/me').catch(() => {});
      },
    });
    return stop;
  }, []);

  const setAvailability = async (v) => {
    setAvailError('');
    try {
      setMe(await patch('/api/v1/me', { availability: v }));
    } catch (e) {
      setAvailError(e.message);
    }
  };

  const signOut = async () => {
    try {
      await post('/api/v1/auth/logout');
    } catch (e) {
      /* a 401 here means it had already ended */
    }
    onSignedOut();
  };

  const showOverview = me.role !== 'agent';
  const showSettings = seesSettings(me);
  const webInboxes = cat.inboxes.filter((i) => i.channel === 'web');
  const cur = (p) => (route.page === p ? 'page' : null);
  let main;
  if (route.page === 'overview' && showOverview) main = html`<${Overview} me=${me} cat=${cat} subscribe=${subscribe} />`;
  else if (route.page === 'reports' && showOverview) main = html`<${Reports} me=${me} cat=${cat} />`;
  else if (route.page === 'settings' && showSettings) main = html`<${Settings} me=${me} cat=${cat} section=${route.section} />`;
  else if (route.page === 'audit' && showOverview) main = html`<${Audit} cat=${cat} />`;
  else if (route.page === 'chat-demo') main = html`<${ChatDemo} inboxes=${webInboxes} />`;
  const liveText = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', down: 'Offline' }[live];

  return html`
    <div class="shell">
      <a class="skip" href="#main" onClick=${(e) => {
        // The hash routes pages: move the focus instead of the location.
        e.preventDefault();
        const m = document.getElementById('main');
        if (m) {
          m.setAttribute('tabindex', '-1');
          m.focus();
        }
      }}>Skip to the content</a>
      <header class="top">
        <a class="brand" href="#/"><img src="/assets/icon.svg" alt="" width="22" height="22" /> Parley</a>
        <nav aria-label="Main">
          <a href="#/" aria-current=${route.page === 'desk' ? 'page' : null}>Desk</a>
          ${showOverview && html`<a href="#/overview" aria-current=${cur('overview')}>Overview</a>
            <a href="#/reports" aria-current=${cur('reports')}>Reports</a>`}
          ${showSettings && html`<a href="#/settings" aria-current=${cur('settings')}>Settings</a>`}
          ${showOverview && html`<a href="#/audit" aria-current=${cur('audit')}>Audit</a>`}
          ${webInboxes.length > 0 && html`<a href="#/chat-demo" aria-current=${cur('chat-demo')}>Chat demo</a>`}
        </nav>
        <form role="search" class="search" onSubmit=${(e) => {
          e.preventDefault();
          const q = searchRef.current.value.trim();
          setSearch(q);
          go('#/');
        }}>
          <label for="search" class="sr-only">Search messages and contacts</label>
          <input id="search" ref=${searchRef} type="search" placeholder="Search  ( / )" autocomplete="off" />
        </form>
        <span class=${`live live-${live}`} role="status" title="Live updates">${liveText}</span>
        <label class="avail">
          <span class="sr-only">Availability</span>
          <select id="availability" value=${me.availability} onChange=${(e) => setAvailability(e.target.value)}
            aria-label="Availability">
            <option value="online">● Online</option>
            <option value="away">◐ Away</option>
            <option value="offline">○ Offline</option>
          </select>
        </label>
        <span class="whoami"><span class="name">${me.name}</span> <span class="role">${me.role}</span></span>
        <button type="button" class="ghost" onClick=${signOut}>Sign out</button>
      </header>
      ${(availError || catError) && html`<p class="error banner" role="alert">${availError || catError}</p>`}
      ${!canWork(me) && html`<p class="banner readonly" role="note">Read-only: as an analyst you see everything and change nothing.</p>`}
      ${main
        || html`<${Desk} me=${me} cat=${cat} subscribe=${subscribe} convId=${route.conv}
            search=${search} clearSearch=${() => {
              setSearch('');
              if (searchRef.current) searchRef.current.value = '';
            }} searchRef=${searchRef} />`}
    </div>`;
}

// The website chat widget on a page of Parley's own, one per web inbox:
// write as a visitor there and answer from the desk.
function ChatDemo({ inboxes }) {
  return html`<main class="page" id="main">
    <h1>Website chat demo</h1>
    <p>Each link opens a page embedding the chat widget of a website chat inbox, as a shop's site would.
      Write there as a visitor: the conversation appears on the desk live, and your reply appears in the widget.</p>
    <ul>
      ${inboxes.map((i) => html`<li><a href=${`/widget-demo/${i.id}`} target="_blank" rel="noopener" data-demo=${i.id}>${i.name}</a></li>`)}
    </ul>
  </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
