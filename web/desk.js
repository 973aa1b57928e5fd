// desk.js - the agent's desk: queues with live counts, filters, the
// conversation list (in the API's order: priority, then waiting time), search
// results, the open conversation, and the keyboard shortcuts.
import { useState, useEffect, useRef, useCallback, useMemo } from './hooks.module.js';
import { html, ago, channelName, canWork, debounce, go, PRIORITIES, STATUSES, snippetParts, slaBadge } from './util.js';
import { get, qs } from './api.js';
import { Conversation } from './conversation.js';

const QUEUES = [
  { id: 'mine', label: 'Mine', assignee: 'me', count: 'mine' },
  { id: 'unassigned', label: 'Unassigned', assignee: 'none', count: 'unassigned' },
  { id: 'all', label: 'All', assignee: 'any', count: 'all' },
];

function saved(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(`parley.${key}`));
    return v ?? fallback;
  } catch (e) {
    return fallback;
  }
}
function save(key, v) {
  try {
    localStorage.setItem(`parley.${key}`, JSON.stringify(v));
  } catch (e) {
    /* private mode: not kept */
  }
}

export function Desk({ me, cat, subscribe, convId, search, clearSearch, searchRef }) {
  const worker = canWork(me);
  const [queue, setQueue] = useState(() => saved('queue', worker && me.role === 'agent' ? 'mine' : 'all'));
  const [filters, setFilters] = useState(() => saved('filters', { status: 'open', inbox: '', priority: '', label: '' }));
  const [list, setList] = useState(null);
  const [next, setNext] = useState(null);
  const [counts, setCounts] = useState(null);
  const [error, setError] = useState('');
  const [results, setResults] = useState(null);
  const actions = useRef({});
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 15000);
    return () => clearInterval(t);
  }, []);
  const listRef = useRef(null);

  const q = QUEUES.find((x) => x.id === queue) || QUEUES[2];
  const params = { status: filters.status, assignee: q.assignee, inbox: filters.inbox, priority: filters.priority, label: filters.label };

  const seq = useRef(0);
  const load = useCallback(async () => {
    const n = ++seq.current;
    try {
      const [page, c] = await Promise.all([
        get(`/api/v1/conversations${qs({ ...params, limit: 50 })}`),
        get('/api/v1/conversations/counts'),
      ]);
      if (n !== seq.current) return; // a newer load (other filters) wins
      setList(page.data);
      setNext(page.next);
      setCounts(c);
      setError('');
    } catch (e) {
      if (n === seq.current && e.status !== 401) setError(`The conversations could not be loaded. ${e.message}`);
    }
  }, [queue, filters.status, filters.inbox, filters.priority, filters.label]);

  const loadMore = async () => {
    try {
      const page = await get(`/api/v1/conversations${qs({ ...params, limit: 50, after: next })}`);
      setList((l) => [...l, ...page.data.filter((c) => !l.some((x) => x.id === c.id))]);
      setNext(page.next);
    } catch (e) {
      setError(`More conversations could not be loaded. ${e.message}`);
    }
  };

  useEffect(() => {
    load();
  }, [load]);

  // Live: any message or conversation change refreshes the list and counts
  // (debounced, the old list stays on screen until the new one is there).
  const loadRef = useRef(load);
  loadRef.current = load;
  const refresh = useMemo(() => debounce(() => loadRef.current(), 250), []);
  useEffect(
    () =>
      subscribe((ev) => {
        if (ev.type.startsWith('conversation.') || ev.type === 'message.created') refresh();
      }),
    [subscribe]
  );

  // Search (from the header).
  useEffect(() => {
    if (!search) {
      setResults(null);
      return;
    }
    let stale = false;
    setResults({ loading: true, q: search });
    get(`/api/v1/search${qs({ q: search })}`)
      .then((r) => !stale && setResults(r))
      .catch((e) => !stale && setResults({ q: search, error: e.message }));
    return () => {
      stale = true;
    };
  }, [search]);

  const setFilter = (k, v) => {
    const f = { ...filters, [k]: v };
    setFilters(f);
    save('filters', f);
  };
  const chooseQueue = (id) => {
    setQueue(id);
    save('queue', id);
  };

  // Keyboard: j/k move, r reply, n note, e resolve, / search.
  useEffect(() => {
    const onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      const ids = (list || []).map((c) => c.id);
      const i = ids.indexOf(convId);
      if (e.key === 'j' || e.key === 'k') {
        if (!ids.length) return;
        const n = e.key === 'j' ? (i < 0 ? 0 : Math.min(ids.length - 1, i + 1)) : i < 0 ? 0 : Math.max(0, i - 1);
        go(`#/c/${ids[n]}`);
        const el = listRef.current && listRef.current.querySelector(`[data-id="${ids[n]}"]`);
        if (el) el.scrollIntoView({ block: 'nearest' });
      } else if (e.key === '/') {
        e.preventDefault();
        searchRef.current && searchRef.current.focus();
      } else if ((e.key === 'r' || e.key === 'n') && actions.current.compose) {
        e.preventDefault();
        actions.current.compose(e.key === 'r' ? 'reply' : 'note');
      } else if (e.key === 'e' && actions.current.resolve) {
        e.preventDefault();
        actions.current.resolve();
      } else return;
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [list, convId]);

  const inbox = (id) => cat.inboxes.find((x) => x.id === id);
  const user = (id) => cat.users.find((x) => x.id === id);

  return html`
    <div class=${`desk ${convId ? 'has-conv' : ''}`} id="main">
      <aside class="queues" aria-label="Queues and filters">
        <h2 class="sr-only">Queues</h2>
        <ul class="queue-list" role="list">
          ${QUEUES.filter((x) => worker || x.id !== 'mine').map(
            (x) => html`<li>
              <button type="button" class=${`queue ${queue === x.id ? 'active' : ''}`} aria-pressed=${queue === x.id}
                onClick=${() => chooseQueue(x.id)} data-queue=${x.id}>
                <span>${x.label}</span>
                <span class="count" aria-label=${`${counts ? counts[x.count][filters.status] : 0} ${filters.status}`}>
                  ${counts ? counts[x.count][filters.status] : '·'}</span>
              </button>
            </li>`
          )}
        </ul>
        <fieldset class="filters">
          <legend>Filters</legend>
          <label for="f-status">Status</label>
          <select id="f-status" value=${filters.status} onChange=${(e) => setFilter('status', e.target.value)}>
            ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
          <label for="f-inbox">Inbox</label>
          <select id="f-inbox" value=${filters.inbox} onChange=${(e) => setFilter('inbox', e.target.value)}>
            <option value="">All inboxes</option>
            ${cat.inboxes.map((b) => html`<option value=${b.id}>${b.name} (${channelName(b.channel)})</option>`)}
          </select>
          <label for="f-priority">Priority</label>
          <select id="f-priority" value=${filters.priority} onChange=${(e) => setFilter('priority', e.target.value)}>
            <option value="">Any priority</option>
            ${PRIORITIES.map((p) => html`<option value=${p}>${p}</option>`)}
          </select>
          <label for="f-label">Label</label>
          <select id="f-label" value=${filters.label} onChange=${(e) => setFilter('label', e.target.value)}>
            <option value="">Any label</option>
            ${cat.labels.map((l) => html`<option value=${l.name}>${l.name}</option>`)}
          </select>
        </fieldset>
        <details class="keys">
          <summary>Keyboard shortcuts</summary>
          <dl>
            <dt><kbd>j</kbd> / <kbd>k</kbd></dt><dd>next / previous conversation</dd>
            <dt><kbd>r</kbd></dt><dd>reply</dd>
            <dt><kbd>n</kbd></dt><dd>internal note</dd>
            <dt><kbd>e</kbd></dt><dd>resolve</dd>
            <dt><kbd>/</kbd></dt><dd>search</dd>
            <dt><kbd>Ctrl</kbd>+<kbd>Enter</kbd></dt><dd>send</dd>
          </dl>
        </details>
      </aside>

      <section class="list-pane" aria-labelledby="list-title">
        ${results
          ? html`<${SearchResults} results=${results} onClose=${clearSearch} />`
          : html`
            <h2 id="list-title" class="pane-title">${q.label} · ${filters.status}</h2>
            ${error && html`<p class="error" role="alert">${error} <button type="button" class="link" onClick=${load}>Try again</button></p>`}
            ${list === null && !error && html`<p class="muted pad" role="status">Loading…</p>`}
            ${list && list.length === 0 && html`<p class="muted pad">No ${filters.status} conversations here.</p>`}
            <ol class="conv-list" ref=${listRef} aria-label="Conversations">
              ${(list || []).map((c) => {
                const b = inbox(c.inbox_id);
                const a = c.assignee_id && user(c.assignee_id);
                return html`<li key=${c.id}>
                  <a href=${`#/c/${c.id}`} class=${`conv-item ${c.id === convId ? 'selected' : ''}`} data-id=${c.id}
                    aria-current=${c.id === convId ? 'true' : null}>
                    <span class="row1">
                      <span class=${`prio prio-${c.priority}`}>${c.priority}</span>
                      <span class=${`vis vis-${c.visibility}`}>${c.visibility === 'public' ? 'Public' : 'Private'}</span>
                      <span class="chan">${b ? channelName(b.channel) : `inbox ${c.inbox_id}`}</span>
                      <span class="wait" title=${c.waiting_since ? `waiting since ${c.waiting_since}` : ''}>
                        ${c.waiting_since ? `waiting ${ago(c.waiting_since)}` : ago(c.last_message_at || c.opened_at)}</span>
                    </span>
                    <span class="subject">${c.subject || `Conversation #${c.id}`}</span>
                    <span class="row3 muted">#${c.id} · ${a ? a.name : c.assignee_id ? `user ${c.assignee_id}` : 'unassigned'} ${slaBadge(c.sla)}</span>
                  </a>
                </li>`;
              })}
            </ol>
            ${next && html`<button type="button" class="ghost more" onClick=${loadMore}>Load more</button>`}
          `}
      </section>

      <section class="conv-pane" aria-label="Conversation">
        ${convId
          ? html`<${Conversation} key=${convId} id=${convId} me=${me} cat=${cat} subscribe=${subscribe} actions=${actions}
              onChanged=${refresh} />`
          : html`<div class="empty"><p>Pick a conversation from the list, or press <kbd>j</kbd>.</p></div>`}
      </section>
    </div>`;
}

function SearchResults({ results, onClose }) {
  const openContact = async (id) => {
    try {
      const c = await get(`/api/v1/contacts/${id}`);
      const conv = (c.conversations || [])[0];
      if (conv) go(`#/c/${conv.id}`);
    } catch (e) {
      /* shown by the next search */
    }
  };
  return html`
    <div class="results">
      <div class="pane-title row">
        <h2 id="list-title">Search: “${results.q}”</h2>
        <button type="button" class="ghost" onClick=${onClose}>Back to the queue</button>
      </div>
      ${results.loading && html`<p class="muted pad" role="status">Searching…</p>`}
      ${results.error && html`<p class="error" role="alert">${results.error}</p>`}
      ${results.contacts && results.contacts.length > 0 && html`
        <h3 class="sub">Contacts</h3>
        <ul class="hits">
          ${results.contacts.map((c) => html`<li><button type="button" class="link" onClick=${() => openContact(c.id)}>${c.name || `Contact #${c.id}`}</button>
            ${c.email && html`<span class="muted"> ${c.email}</span>`}</li>`)}
        </ul>`}
      ${results.messages && html`
        <h3 class="sub">Messages</h3>
        ${results.messages.length === 0 && html`<p class="muted pad">Nothing matches.</p>`}
        <ul class="hits">
          ${results.messages.map((m) => html`<li><a href=${`#/c/${m.conversation_id}`}>
            <span class="muted">#${m.conversation_id}</span>
            ${snippetParts(m.snippet).map((p) => (p.mark ? html`<mark>${p.text}</mark>` : p.text))}</a></li>`)}
        </ul>`}
    </div>`;
}
