// overview.js - supervisors, admins and analysts: the queues at a glance,
// who is online with how much open work, the service levels breached right
// now and today's volume; it follows the live stream.
import { useState, useEffect, useMemo } from './hooks.module.js';
import { html, debounce, STATUSES, PRIORITIES, go, ago, channelName } from './util.js';
import { get, qs, all } from './api.js';
import { duration } from './reports.js';

function midnight() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

export function Overview({ me, cat, subscribe }) {
  const [counts, setCounts] = useState(null);
  const [open, setOpen] = useState(null); // the open conversations (bounded)
  const [today, setToday] = useState(null);
  const [error, setError] = useState('');

  const agents = cat.users.filter((u) => u.role !== 'analyst' && u.status === 'active');

  const refresh = async () => {
    try {
      const [c, list, t] = await Promise.all([
        get('/api/v1/conversations/counts'),
        all(`/api/v1/conversations${qs({ status: 'open', assignee: 'any' })}`, 10),
        get(`/api/v1/reports/summary${qs({ since: midnight() })}`),
      ]);
      setCounts(c);
      setOpen(list);
      setToday(t);
      setError('');
    } catch (e) {
      if (e.status !== 401) setError(`The overview could not be loaded. ${e.message}`);
    }
  };

  const capped = open && open.length >= 1000 ? '+' : '';
  const load = {};
  const byPriority = {};
  const breached = [];
  let warning = 0;
  for (const c of open || []) {
    if (c.assignee_id) load[c.assignee_id] = (load[c.assignee_id] || 0) + 1;
    byPriority[c.priority] = (byPriority[c.priority] || 0) + 1;
    if (c.sla && c.sla.state === 'breached' && !c.sla.paused) breached.push(c);
    else if (c.sla && c.sla.state === 'warning' && !c.sla.paused) warning++;
  }
  const inboxName = (id) => {
    const i = cat.inboxes.find((x) => x.id === id);
    return i ? `${i.name} (${channelName(i.channel)})` : `inbox ${id}`;
  };
  const userName = (id) => (cat.users.find((u) => u.id === id) || {}).name || 'unassigned';
  const webInboxes = cat.inboxes.filter((i) => i.channel === 'web');

  useEffect(() => {
    refresh();
  }, [cat.users]);
  const soon = useMemo(() => debounce(() => refresh(), 800), [cat.users]);
  useEffect(
    () => subscribe((ev) => (ev.type.startsWith('conversation.') || ev.type.startsWith('sla.') || ev.type === 'message.created') && soon()),
    [subscribe, soon]
  );

  const online = agents.filter((u) => u.availability === 'online');
  return html`
    <main class="overview page" id="main">
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
          ${PRIORITIES.map((p) => html`<li><span class=${`prio prio-${p}`}>${p}</span> <strong data-priority=${p}>${open ? `${byPriority[p] || 0}${capped}` : '…'}</strong></li>`)}
        </ul>
      </section>
      <section aria-labelledby="ov-today">
        <h2 id="ov-today">Today so far</h2>
        <dl class="kpis">
          <div class="kpi"><dt>Received</dt><dd data-metric="volume.received">${today ? today.volume.received : '…'}</dd></div>
          <div class="kpi"><dt>Customer messages</dt><dd>${today ? today.volume.customer_messages : '…'}</dd></div>
          <div class="kpi"><dt>Replies</dt><dd>${today ? today.volume.human_replies : '…'}</dd></div>
          <div class="kpi"><dt>Resolved</dt><dd>${today ? today.volume.resolved : '…'}</dd></div>
          <div class="kpi"><dt>First response (median)</dt><dd>${today ? duration(today.first_response_time.median_seconds) : '…'}</dd></div>
        </dl>
        <p class="muted"><a href="#/reports">All reports</a></p>
      </section>
      <section aria-labelledby="ov-breaches">
        <h2 id="ov-breaches">Breaches now: ${open ? `${breached.length}${capped}` : '…'}${warning ? html` <span class="sla sla-warning">${warning} at risk</span>` : ''}</h2>
        ${open && breached.length === 0 && html`<p class="muted">No open conversation is past its service-level target.</p>`}
        ${breached.length > 0 && html`<table class="grid breaches">
          <thead><tr><th scope="col">Conversation</th><th scope="col">Inbox</th><th scope="col">Priority</th><th scope="col">Overdue</th><th scope="col">Assignee</th></tr></thead>
          <tbody>
            ${breached.slice(0, 50).map((c) => html`<tr data-id=${c.id}>
              <th scope="row"><a href=${`#/c/${c.id}`}>${c.subject || `Conversation ${c.id}`}</a></th>
              <td>${inboxName(c.inbox_id)}</td>
              <td><span class=${`prio prio-${c.priority}`}>${c.priority}</span></td>
              <td><span class="sla sla-breached">${(c.sla.target || '').replace(/_/g, ' ')} overdue ${ago(c.sla.due_at)}</span></td>
              <td>${userName(c.assignee_id)}</td>
            </tr>`)}
          </tbody>
        </table>`}
      </section>
      <section aria-labelledby="ov-agents">
        <h2 id="ov-agents">Agents: ${online.length} online of ${agents.length}</h2>
        <table class="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Availability</th><th scope="col">Open</th><th scope="col">Capacity</th><th scope="col">Load</th></tr></thead>
          <tbody>
            ${agents.map(
              (u) => html`<tr>
                <th scope="row">${u.name}${u.id === me.id ? ' (you)' : ''}</th>
                <td>${u.role}</td>
                <td><span class=${`avail-dot a-${u.availability}`}>${u.availability}</span></td>
                <td data-load=${u.id}>${open ? `${load[u.id] || 0}${capped}` : '…'}</td>
                <td>${u.capacity}</td>
                <td><meter min="0" max=${u.capacity || 1} high=${Math.max(1, (u.capacity || 1) * 0.8)} value=${load[u.id] || 0}
                  aria-label=${`${u.name}: ${load[u.id] || 0} of ${u.capacity}`}></meter></td>
              </tr>`
            )}
          </tbody>
        </table>
      </section>
      ${webInboxes.length > 0 && html`<section aria-labelledby="ov-widget">
        <h2 id="ov-widget">Website chat</h2>
        <p class="muted">See the chat widget as a visitor does, and answer from the desk: it is live both ways.</p>
        <ul>${webInboxes.map((i) => html`<li><a href=${`/widget-demo/${i.id}`} target="_blank" rel="noopener" data-demo=${i.id}>Widget demo of ${i.name}</a></li>`)}</ul>
      </section>`}
      <p><a href="#/" onClick=${(e) => (e.preventDefault(), go('#/'))}>Back to the desk</a></p>
    </main>`;
}
