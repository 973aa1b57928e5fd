// overview.js - supervisors, admins and analysts: the queues at a glance and
// who is online with how much open work.
import { useState, useEffect, useMemo } from './hooks.module.js';
import { html, debounce, STATUSES, PRIORITIES, go } from './util.js';
import { get, qs } from './api.js';

export function Overview({ me, cat, subscribe }) {
  const [counts, setCounts] = useState(null);
  const [load, setLoad] = useState({}); // user id -> open conversations
  const [byPriority, setByPriority] = useState({});
  const [error, setError] = useState('');

  const agents = cat.users.filter((u) => u.role !== 'analyst' && u.status === 'active');

  const refresh = async () => {
    try {
      const c = await get('/api/v1/conversations/counts');
      const l = {};
      await Promise.all(
        agents.map(async (u) => {
          const page = await get(`/api/v1/conversations${qs({ status: 'open', assignee: u.id, limit: 100 })}`);
          l[u.id] = page.next ? '100+' : page.data.length;
        })
      );
      const p = {};
      await Promise.all(
        PRIORITIES.map(async (pr) => {
          const page = await get(`/api/v1/conversations${qs({ status: 'open', priority: pr, limit: 100 })}`);
          p[pr] = page.next ? '100+' : page.data.length;
        })
      );
      setCounts(c);
      setLoad(l);
      setByPriority(p);
      setError('');
    } catch (e) {
      if (e.status !== 401) setError(`The overview could not be loaded. ${e.message}`);
    }
  };

  useEffect(() => {
    refresh();
  }, [cat.users]);
  const soon = useMemo(() => debounce(() => refresh(), 800), [cat.users]);
  useEffect(
    () => subscribe((ev) => (ev.type.startsWith('conversation.') || ev.type === 'message.created') && soon()),
    [subscribe, soon]
  );

  const online = agents.filter((u) => u.availability === 'online');
  return html`
    <main class="overview" id="main">
      <h1>Overview</h1>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <section aria-labelledby="ov-queues">
        <h2 id="ov-queues">Queues</h2>
        <table class="grid">
          <thead><tr><th scope="col">Queue</th>${STATUSES.map((s) => html`<th scope="col">${s}</th>`)}</tr></thead>
          <tbody>
            ${['unassigned', 'all', ...(me.role === 'analyst' ? [] : ['mine'])].map(
              (g) => html`<tr><th scope="row">${g === 'mine' ? 'Mine' : g === 'all' ? 'All' : 'Unassigned'}</th>
                ${STATUSES.map((s) => html`<td>${counts ? counts[g][s] : '…'}</td>`)}</tr>`
            )}
          </tbody>
        </table>
        <h3>Open by priority</h3>
        <ul class="prio-row">
          ${PRIORITIES.map((p) => html`<li><span class=${`prio prio-${p}`}>${p}</span> <strong>${byPriority[p] ?? '…'}</strong></li>`)}
        </ul>
      </section>
      <section aria-labelledby="ov-agents">
        <h2 id="ov-agents">Agents: ${online.length} online of ${agents.length}</h2>
        <table class="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Availability</th><th scope="col">Open</th><th scope="col">Capacity</th></tr></thead>
          <tbody>
            ${agents.map(
              (u) => html`<tr>
                <th scope="row">${u.name}${u.id === me.id ? ' (you)' : ''}</th>
                <td>${u.role}</td>
                <td><span class=${`avail-dot a-${u.availability}`}>${u.availability}</span></td>
                <td>${load[u.id] ?? '…'}</td>
                <td>${u.capacity}</td>
              </tr>`
            )}
          </tbody>
        </table>
      </section>
      <p><a href="#/" onClick=${(e) => (e.preventDefault(), go('#/'))}>Back to the desk</a></p>
    </main>`;
}
