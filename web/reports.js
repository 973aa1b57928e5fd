// reports.js - the analyst's reports: a period and filters, the summary's
// numbers, charts of the daily trends (uPlot), per-agent / per-inbox / per-channel
// tables, and CSV downloads of the same query. Every role may read reports.
import { useState, useEffect, useMemo } from './hooks.module.js';
import { html, channelName, PRIORITIES } from './util.js';
import { get, qs, all } from './api.js';
import { Chart } from './chart.js';

const DAY = 86400000;

// A metric of a report row by dotted path ("first_response_time.median_seconds").
export const pick = (o, p) => p.split('.').reduce((v, k) => (v === null || v === undefined ? v : v[k]), o);

export function duration(s) {
  if (s === null || s === undefined) return '–';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`;
  return `${(s / 86400).toFixed(1)}d`;
}
export const pct = (r) => (r === null || r === undefined ? '–' : `${Math.round(r * 1000) / 10}%`);
const num = (n) => (n === null || n === undefined ? '–' : String(n));
const signed = (n) => (n === null || n === undefined ? '–' : `${n > 0 ? '+' : ''}${(Math.round(n * 100) / 100).toFixed(2)}`);

// The figures at the top: [path, label, format].
const KPIS = [
  ['volume.received', 'Conversations received', num],
  ['volume.resolved', 'Resolved', num],
  ['volume.backlog', 'Backlog at the end', num],
  ['first_response_time.median_seconds', 'First response (median)', duration],
  ['first_response_time.p90_seconds', 'First response (p90)', duration],
  ['resolution_time.median_seconds', 'Resolution (median)', duration],
  ['response_rate', 'Response rate', pct],
  ['resolution_rate', 'Resolution rate', pct],
  ['sla.first_response.compliance', 'SLA first response met', pct],
  ['sla.resolution.compliance', 'SLA resolution met', pct],
  ['sentiment_shift.mean', 'Sentiment shift (mean)', signed],
  ['csat.satisfied_share', 'CSAT (4-5 share)', pct],
  ['average_handling_time.mean_seconds', 'Handling time (AHT)', duration],
];

// The table columns of the per-agent / per-inbox / per-channel tables.
const COLUMNS = [
  ['volume.received', 'Received', num],
  ['volume.human_replies', 'Replies', num],
  ['volume.resolved', 'Resolved', num],
  ['first_response_time.median_seconds', 'FRT median', duration],
  ['resolution_time.median_seconds', 'Resolution median', duration],
  ['response_rate', 'Response rate', pct],
  ['sla.first_response.compliance', 'SLA FRT met', pct],
  ['csat.satisfied_share', 'CSAT', pct],
  ['average_handling_time.mean_seconds', 'AHT', duration],
];

function isoDay(d) {
  const z = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
}
function localMidnight(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d);
}

// The query of the form: {since, until, inbox, team, agent, priority, business_hours}.
export function periodQuery(f, now = Date.now()) {
  const q = { inbox: f.inbox, team: f.team, agent: f.agent, priority: f.priority, channel: f.channel };
  if (f.business_hours) q.business_hours = 'true';
  if (f.period === 'custom') {
    if (f.from) q.since = localMidnight(f.from).toISOString();
    if (f.to) q.until = new Date(localMidnight(f.to).getTime() + DAY).toISOString();
  } else {
    q.since = new Date(now - Number(f.period) * DAY).toISOString();
  }
  return q;
}

// Sums the inbox rows of one channel (volumes only; times are not additive).
function byChannel(rows, inboxes) {
  const chan = new Map(inboxes.map((i) => [i.id, i.channel]));
  const out = new Map();
  for (const r of rows) {
    const c = chan.get(r.inbox_id) || 'unknown';
    const acc = out.get(c) || { channel: c, received: 0, resolved: 0, human_replies: 0, customer_messages: 0 };
    for (const k of ['received', 'resolved', 'human_replies', 'customer_messages']) acc[k] += pick(r, `volume.${k}`) || 0;
    out.set(c, acc);
  }
  return [...out.values()].sort((a, b) => b.received - a.received);
}

export function Reports({ me, cat }) {
  const [f, setF] = useState(() => {
    const to = new Date();
    return { period: '7', from: isoDay(new Date(Date.now() - 6 * DAY)), to: isoDay(to), inbox: '', team: '', agent: '', priority: '', channel: '', business_hours: false, by: 'day' };
  });
  const [teams, setTeams] = useState([]);
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [bom, setBom] = useState(false);

  useEffect(() => {
    all('/api/v1/teams').then(setTeams).catch(() => setTeams([]));
  }, []);

  const query = useMemo(() => periodQuery(f), [f]);
  const customBad = f.period === 'custom' && (!f.from || !f.to || f.from > f.to);

  useEffect(() => {
    if (customBad) return undefined;
    let gone = false;
    setLoading(true);
    (async () => {
      try {
        const [summary, series, agents, inboxes] = await Promise.all([
          get(`/api/v1/reports/summary${qs(query)}`),
          get(`/api/v1/reports/timeseries${qs({ ...query, by: f.by })}`),
          get(`/api/v1/reports/agents${qs(query)}`),
          get(`/api/v1/reports/inboxes${qs(query)}`),
        ]);
        if (gone) return;
        setData({ summary, series, agents: agents.rows || [], inboxes: inboxes.rows || [] });
        setError('');
      } catch (e) {
        if (!gone && e.status !== 401) setError(`The reports could not be loaded. ${e.message}`);
      } finally {
        if (!gone) setLoading(false);
      }
    })();
    return () => {
      gone = true;
    };
  }, [JSON.stringify(query), f.by, customBad]);

  const set = (k) => (e) => setF({ ...f, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  const agents = cat.users.filter((u) => u.role !== 'analyst');
  const csv = (name, extra = {}) => `/api/v1/reports/${name}.csv${qs({ ...query, ...extra, ...(bom ? { bom: 1 } : {}) })}`;

  const pts = (data && data.series.points) || [];
  const xs = pts.map((p) => Date.parse(p.start) / 1000);
  const line = (path, label, scale = 1) => ({ label, values: pts.map((p) => { const v = pick(p, path); return v === null || v === undefined ? null : v * scale; }) });
  const channels = data ? byChannel(data.inboxes, cat.inboxes) : [];
  const pc = (v) => (v === null || v === undefined ? '–' : `${Math.round(v)}%`);

  return html`
    <main class="reports page" id="main">
      <h1>Reports</h1>
      <form class="report-filters" aria-label="Report period and filters" onSubmit=${(e) => e.preventDefault()}>
        <label>Period
          <select id="rp-period" value=${f.period} onChange=${set('period')}>
            <option value="1">Last 24 hours</option>
            <option value="7">Last 7 days</option>
            <option value="30">Last 30 days</option>
            <option value="90">Last 90 days</option>
            <option value="custom">Custom…</option>
          </select>
        </label>
        ${f.period === 'custom' && html`
          <label>From <input id="rp-from" type="date" value=${f.from} max=${f.to} onChange=${set('from')} /></label>
          <label>To <input id="rp-to" type="date" value=${f.to} min=${f.from} onChange=${set('to')} /></label>`}
        <label>Step
          <select id="rp-by" value=${f.by} onChange=${set('by')}>
            <option value="hour">Hour</option><option value="day">Day</option><option value="week">Week</option>
          </select>
        </label>
        <label>Inbox
          <select id="rp-inbox" value=${f.inbox} onChange=${set('inbox')}>
            <option value="">All inboxes</option>
            ${cat.inboxes.map((i) => html`<option value=${i.id}>${i.name} (${channelName(i.channel)})</option>`)}
          </select>
        </label>
        <label>Team
          <select id="rp-team" value=${f.team} onChange=${set('team')}>
            <option value="">All teams</option>
            ${teams.map((t) => html`<option value=${t.id}>${t.name}</option>`)}
          </select>
        </label>
        <label>Agent
          <select id="rp-agent" value=${f.agent} onChange=${set('agent')}>
            <option value="">Everyone</option>
            ${agents.map((u) => html`<option value=${u.id}>${u.name}</option>`)}
          </select>
        </label>
        <label>Priority
          <select id="rp-priority" value=${f.priority} onChange=${set('priority')}>
            <option value="">Any</option>
            ${PRIORITIES.map((p) => html`<option value=${p}>${p}</option>`)}
          </select>
        </label>
        <label class="check"><input id="rp-bh" type="checkbox" checked=${f.business_hours} onChange=${set('business_hours')} /> Business hours only</label>
      </form>
      ${customBad && html`<p class="error" role="alert">Choose a start date on or before the end date.</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <p class="muted period-note" role="status">${loading ? 'Loading…' : data ? `From ${new Date(data.summary.query.since).toLocaleString()} to ${new Date(data.summary.query.until).toLocaleString()} (whole UTC hours${f.business_hours ? ', business hours only' : ''}).` : ''}</p>

      ${data && html`
        <section aria-labelledby="rp-sum">
          <h2 id="rp-sum">Summary</h2>
          <dl class="kpis">
            ${KPIS.map(([p, label, fmt]) => html`<div class="kpi"><dt>${label}</dt><dd data-metric=${p}>${fmt(pick(data.summary, p))}</dd></div>`)}
          </dl>
        </section>
        <section aria-labelledby="rp-trends" class="charts">
          <h2 id="rp-trends">Trends</h2>
          <${Chart} id="chart-volume" title="Volume: conversations received and resolved" x=${xs}
            series=${[line('volume.received', 'Received'), line('volume.resolved', 'Resolved')]} />
          <${Chart} id="chart-frt" title="First response time" x=${xs} yFmt=${duration}
            series=${[line('first_response_time.median_seconds', 'Median'), line('first_response_time.p90_seconds', 'p90')]} />
          <${Chart} id="chart-resolution" title="Resolution time" x=${xs} yFmt=${duration}
            series=${[line('resolution_time.median_seconds', 'Median'), line('resolution_time.p90_seconds', 'p90')]} />
          <${Chart} id="chart-sla" title="SLA compliance (% of targets met)" x=${xs} yFmt=${pc} yRange=${[0, 100]}
            series=${[line('sla.first_response.compliance', 'First response', 100), line('sla.next_response.compliance', 'Next response', 100), line('sla.resolution.compliance', 'Resolution', 100)]} />
          <${Chart} id="chart-sentiment" title="Sentiment shift (first to last customer message, -2 to +2)" x=${xs} yRange=${[-2, 2]}
            series=${[line('sentiment_shift.mean', 'Mean shift')]} />
          <${Chart} id="chart-channels" title="Volume by channel (conversations received)" x=${channels.map((c) => channelName(c.channel))} bars
            series=${[{ label: 'Received', values: channels.map((c) => c.received) }]} />
        </section>
        <section aria-labelledby="rp-channels">
          <h2 id="rp-channels">By channel</h2>
          <table class="grid" id="rp-channel-table">
            <thead><tr><th scope="col">Channel</th><th scope="col">Received</th><th scope="col">Customer messages</th><th scope="col">Replies</th><th scope="col">Resolved</th></tr></thead>
            <tbody>
              ${channels.length ? channels.map((c) => html`<tr><th scope="row">${channelName(c.channel)}</th><td>${c.received}</td><td>${c.customer_messages}</td><td>${c.human_replies}</td><td>${c.resolved}</td></tr>`)
                : html`<tr><td colspan="5" class="muted">No conversations in this period.</td></tr>`}
            </tbody>
          </table>
        </section>
        <${Table} id="rp-agents" title="By agent" rows=${data.agents} name=${(r) => r.name || (r.agent_id ? `User ${r.agent_id}` : 'Nobody (unassigned)')} />
        <${Table} id="rp-inboxes" title="By inbox" rows=${data.inboxes} name=${(r) => {
          const i = cat.inboxes.find((x) => x.id === r.inbox_id);
          return `${r.name || `Inbox ${r.inbox_id}`}${i ? ` (${channelName(i.channel)})` : ''}`;
        }} />
        <section aria-labelledby="rp-csv" class="downloads">
          <h2 id="rp-csv">Download as CSV</h2>
          <p class="muted">The same period and filters, one file each (RFC 4180, UTF-8).</p>
          <label class="check"><input id="rp-bom" type="checkbox" checked=${bom} onChange=${(e) => setBom(e.target.checked)} /> For Excel (with a byte order mark)</label>
          <ul class="csv-links">
            <li><a data-csv="summary" href=${csv('summary')} download="parley-summary.csv">Summary</a></li>
            <li><a data-csv="timeseries" href=${csv('timeseries', { by: f.by })} download="parley-timeseries.csv">Trend per ${f.by}</a></li>
            <li><a data-csv="agents" href=${csv('agents')} download="parley-agents.csv">Per agent</a></li>
            <li><a data-csv="inboxes" href=${csv('inboxes')} download="parley-inboxes.csv">Per inbox</a></li>
            <li><a data-csv="teams" href=${csv('teams')} download="parley-teams.csv">Per team</a></li>
            <li><a data-csv="conversations" href=${csv('conversations')} download="parley-conversations.csv">Every conversation</a></li>
          </ul>
        </section>`}
    </main>`;
}

function Table({ id, title, rows, name }) {
  return html`<section aria-labelledby=${id}>
    <h2 id=${id}>${title}</h2>
    <div class="table-scroll">
      <table class="grid" id=${`${id}-table`}>
        <thead><tr><th scope="col">Name</th>${COLUMNS.map(([, l]) => html`<th scope="col">${l}</th>`)}</tr></thead>
        <tbody>
          ${rows.length ? rows.map((r) => html`<tr><th scope="row">${name(r)}</th>${COLUMNS.map(([p, , fmt]) => html`<td>${fmt(pick(r, p))}</td>`)}</tr>`)
            : html`<tr><td colspan=${COLUMNS.length + 1} class="muted">Nothing in this period.</td></tr>`}
        </tbody>
      </table>
    </div>
  </section>`;
}
