// app.js - the console's entry: signs in, holds the signed-in user, the
// account's catalogues (users, inboxes, labels) and the live stream, and
// shows the desk or the overview.
import { render } from './preact.module.js';
import { useState, useEffect, useRef, useCallback } from './hooks.module.js';
import { html, canWork, go } from './util.js';
import { get, patch, post, all, onUnauthorized } from './api.js';
import { connect } from './live.js';
import { Login } from './login.js';
import { Desk } from './desk.js';
import { Overview } from './overview.js';

function parseRoute() {
  const h = location.hash.replace(/^#/, '');
  let m;
  if ((m = h.match(/^\/c\/(\d+)$/))) return { page: 'desk', conv: Number(m[1]) };
  if (h === '/overview') return { page: 'overview' };
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
        if (/^(user|inbox|label)\./.test(ev.type)) loadCatalogues();
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
  const liveText = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', down: 'Offline' }[live];

  return html`
    <div class="shell">
      <a class="skip" href="#main">Skip to the desk</a>
      <header class="top">
        <a class="brand" href="#/"><img src="/assets/icon.svg" alt="" width="22" height="22" /> Parley</a>
        <nav aria-label="Main">
          <a href="#/" aria-current=${route.page === 'desk' ? 'page' : null}>Desk</a>
          ${showOverview && html`<a href="#/overview" aria-current=${route.page === 'overview' ? 'page' : null}>Overview</a>`}
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
      ${route.page === 'overview' && showOverview
        ? html`<${Overview} me=${me} cat=${cat} subscribe=${subscribe} />`
        : html`<${Desk} me=${me} cat=${cat} subscribe=${subscribe} convId=${route.conv}
            search=${search} clearSearch=${() => {
              setSearch('');
              if (searchRef.current) searchRef.current.value = '';
            }} searchRef=${searchRef} />`}
    </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
