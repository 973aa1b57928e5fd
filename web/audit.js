// audit.js - the audit trail (GET /api/v1/events): every change, newest page
// on demand ("Load more" follows the API's cursor), filtered by type (exact or
// a prefix ending in ".") and subject.
import { useState, useEffect, useCallback } from './hooks.module.js';
import { html, when } from './util.js';
import { get, qs } from './api.js';

const KINDS = ['', 'account', 'user', 'inbox', 'conversation', 'message', 'contact', 'team', 'label', 'canned', 'business_hours', 'sla_policy', 'webhook'];

function summary(payload) {
  if (!payload || typeof payload !== 'object') return '';
  const s = JSON.stringify(payload);
  return s === '{}' ? '' : s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

export function Audit({ cat }) {
  const [f, setF] = useState({ type: '', subject_kind: '', subject_id: '' });
  const [applied, setApplied] = useState(f);
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async (after) => {
    setBusy(true);
    try {
      const page = await get(`/api/v1/events${qs({ ...applied, limit: 50, after })}`);
      setRows((old) => (after ? [...(old || []), ...page.data] : page.data));
      setNext(page.next);
      setError('');
    } catch (e) {
      if (e.status !== 401) setError(`The audit trail could not be loaded. ${e.message}`);
    } finally {
      setBusy(false);
    }
  }, [applied]);
  useEffect(() => {
    load(null);
  }, [load]);

  const actor = (a) => {
    if (!a) return '';
    if (a.kind === 'user') {
      const u = cat.users.find((x) => x.id === a.id);
      return u ? u.name : `user ${a.id}`;
    }
    return a.kind === 'cli' ? 'command line' : `${a.kind}${a.id ? ` ${a.id}` : ''}`;
  };

  return html`
    <main class="audit page" id="main">
      <h1>Audit trail</h1>
      <p class="muted">Every change in the account, in order, hash-chained.</p>
      <form class="report-filters" aria-label="Filter the audit trail" onSubmit=${(e) => {
        e.preventDefault();
        setApplied({ ...f });
      }}>
        <label>Type <input id="au-type" type="text" placeholder="label.created or label." value=${f.type} onInput=${(e) => setF({ ...f, type: e.target.value.trim() })} /></label>
        <label>Subject
          <select id="au-kind" value=${f.subject_kind} onChange=${(e) => setF({ ...f, subject_kind: e.target.value })}>
            ${KINDS.map((k) => html`<option value=${k}>${k ? k.replace(/_/g, ' ') : 'Any'}</option>`)}
          </select>
        </label>
        <label>Subject id <input id="au-id" type="number" min="1" value=${f.subject_id} onInput=${(e) => setF({ ...f, subject_id: e.target.value })} /></label>
        <button type="submit" class="primary">Show</button>
      </form>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${rows === null ? html`<p class="muted" role="status">Loading…</p>` : html`
        <div class="table-scroll">
          <table class="grid events">
            <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Event</th><th scope="col">Subject</th><th scope="col">Details</th></tr></thead>
            <tbody>
              ${rows.length === 0 && html`<tr><td colspan="6" class="muted">No events match.</td></tr>`}
              ${rows.map((ev) => html`<tr data-type=${ev.type} data-id=${ev.id}>
                <td>${ev.id}</td>
                <td><time datetime=${ev.at} title=${new Date(ev.at).toLocaleString()}>${when(ev.at)}</time></td>
                <td>${actor(ev.actor)}</td>
                <th scope="row"><code>${ev.type}</code></th>
                <td>${ev.subject ? `${ev.subject.kind} ${ev.subject.id ?? ''}` : ''}</td>
                <td class="payload"><code>${summary(ev.payload)}</code></td>
              </tr>`)}
            </tbody>
          </table>
        </div>
        ${next ? html`<button type="button" class="more" disabled=${busy} onClick=${() => load(next)}>${busy ? 'Loading…' : 'Load more'}</button>`
          : rows.length > 0 && html`<p class="muted">The end of the trail.</p>`}`}
    </main>`;
}
