// conversation.js - one conversation: the customer's timeline across every
// channel (public, private and internal notes visibly different), its
// triage and priority explanation, the actions (assign, take over, label,
// prioritise, snooze, resolve, reopen), colleagues' presence, the customer's
// profile and the composer.
import { useState, useEffect, useRef, useCallback, useLayoutEffect } from './hooks.module.js';
import { html, ago, when, channelName, followers, canWork, canManage, PRIORITIES, go, slaBadge } from './util.js';
import { get, post, patch, qs } from './api.js';
import { Composer } from './composer.js';

const VIS = {
  public: { label: 'Public', hint: 'visible to everyone' },
  private: { label: 'Private', hint: 'only the customer sees it' },
  internal: { label: 'Internal note', hint: 'only your team sees it' },
};

const SNOOZES = [
  { label: '1 hour', ms: 3600e3 },
  { label: '4 hours', ms: 4 * 3600e3 },
  { label: 'Tomorrow', ms: 24 * 3600e3 },
  { label: 'Next week', ms: 7 * 24 * 3600e3 },
];

export function Conversation({ id, me, cat, subscribe, actions, onChanged }) {
  const [conv, setConv] = useState(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState(null); // {kind: 'error'|'warn', text, retry?, retryLabel?}
  const [busy, setBusy] = useState(false);
  const [presence, setPresence] = useState({}); // user_id -> {state, at}
  const [, tick] = useState(0);
  const convRef = useRef(null);
  const timeline = useRef(null);
  const stick = useRef(true);
  const composer = useRef({});
  const worker = canWork(me);
  convRef.current = conv;

  const load = useCallback(async () => {
    try {
      const c = await get(`/api/v1/conversations/${id}`);
      setConv(c);
      setError('');
    } catch (e) {
      if (e.status !== 401) setError(e.status === 404 ? 'This conversation does not exist, or not in your account.' : `The conversation could not be loaded. ${e.message}`);
    }
  }, [id]);

  useEffect(() => {
    load();
  }, [load]);

  // Presence: say we are here (agents and up); read who else was, then follow the stream.
  useEffect(() => {
    if (worker) post(`/api/v1/conversations/${id}/presence`, { state: 'viewing' }).catch(() => {});
    const since = new Date(Date.now() - 10 * 60e3).toISOString();
    get(`/api/v1/events${qs({ type: 'presence.', subject_kind: 'conversation', subject_id: id, since, limit: 100 })}`)
      .then((r) => {
        const p = {};
        for (const ev of r.data) fold(p, ev);
        setPresence(p);
      })
      .catch(() => {});
    const t = setInterval(() => tick((n) => n + 1), 4000);
    // Handling time (AHT) is measured from these beats: every 30 s while this window is
    // focused and visible, and at once when it comes back; the server counts gaps of at
    // most 90 s between one agent's beats as active time.
    const focused = () => document.visibilityState === 'visible' && document.hasFocus();
    const beat = () => {
      if (worker && focused()) post(`/api/v1/conversations/${id}/presence`, { state: 'viewing' }).catch(() => {});
    };
    const hb = setInterval(beat, 30000);
    window.addEventListener('focus', beat);
    return () => {
      clearInterval(t);
      clearInterval(hb);
      window.removeEventListener('focus', beat);
      if (worker) post(`/api/v1/conversations/${id}/presence`, { state: 'left' }).catch(() => {});
    };
  }, [id]);

  const fold = (p, ev) => {
    const pl = ev.payload || {};
    if (pl.conversation_id !== id || pl.user_id === me.id) return p;
    if (pl.state === 'left') delete p[pl.user_id];
    else p[pl.user_id] = { state: pl.state, at: Date.parse(ev.at) || Date.now() };
    return p;
  };

  useEffect(
    () =>
      subscribe((ev) => {
        if (ev.type.startsWith('presence.')) {
          setPresence((p) => fold({ ...p }, { ...ev, at: new Date().toISOString() }));
          return;
        }
        const c = convRef.current;
        if (ev.type === 'message.created') {
          const m = ev.payload && ev.payload.message;
          // A colleague who sent has stopped typing.
          if (m && m.conversation_id === id && m.author && m.author.kind === 'user' && m.author.id !== me.id)
            setPresence((p) => (p[m.author.id] ? { ...p, [m.author.id]: { state: 'viewing', at: Date.now() } } : p));
          const mine = m && c && (m.conversation_id === id || (c.contact_conversations || []).some((x) => x.id === m.conversation_id));
          if (mine || (m && !c)) load();
        } else if (ev.type === 'message.delivery') {
          const pl = ev.payload || {};
          const cid = pl.conversation_id || (pl.message && pl.message.conversation_id);
          if (cid === id) load();
        } else if (ev.type.startsWith('conversation.') && ev.subject && ev.subject.id === id) {
          load();
        }
      }),
    [subscribe, id]
  );

  // The timeline keeps its place: it follows new messages only when the
  // reader is at the bottom already.
  const onScroll = () => {
    const el = timeline.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  };
  useLayoutEffect(() => {
    const el = timeline.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [conv && conv.timeline && conv.timeline.length]);

  // ---- actions ------------------------------------------------------------
  const user = (uid) => cat.users.find((u) => u.id === uid);
  const nameOf = (uid) => (uid === me.id ? 'you' : (user(uid) || {}).name || `user ${uid}`);

  const run = async (what, fn) => {
    setBusy(true);
    setNotice(null);
    try {
      await fn();
      await load();
      onChanged && onChanged();
    } catch (e) {
      if (e.status === 409 && e.hasPointer('/version')) {
        setNotice({ kind: 'warn', text: 'Someone changed this conversation at the same moment. It has been reloaded: check it and try again.' });
        load();
      } else if (e.status !== 401) {
        setNotice({ kind: 'error', text: `${what} failed. ${e.message}` });
      }
    } finally {
      setBusy(false);
    }
  };

  const change = (what, body) =>
    run(what, () => patch(`/api/v1/conversations/${id}`, { ...body, version: conv.version }));

  const assign = (uid, takeover = false) =>
    run(uid ? 'Assigning' : 'Releasing', async () => {
      try {
        await post(`/api/v1/conversations/${id}/assign`, takeover ? { assignee_id: uid, takeover: true } : { assignee_id: uid });
      } catch (e) {
        if (e.status === 409 && e.hasPointer('/takeover')) {
          const holder = convRef.current && convRef.current.assignee_id;
          setNotice({
            kind: 'warn',
            text: `${holder ? nameOf(holder) : 'A colleague'} is handling this conversation. Take it over? They will see that you did.`,
            retry: () => assign(uid, true),
            retryLabel: 'Take over',
          });
          return;
        }
        throw e;
      }
    });

  const resolve = () => conv && conv.status !== 'resolved' && change('Resolving', { status: 'resolved' });
  // "Take it offline": a public invitation to continue in private; the private
  // conversation that follows is linked, and the public thread then needs a
  // closing note before it can be resolved (the server says so in words).
  const takeOffline = () =>
    run('Taking it offline', () => post(`/api/v1/conversations/${id}/offline`, { takeover: true }));
  actions.current = worker
    ? {
        resolve,
        compose: (mode) => composer.current.focus && composer.current.focus(mode),
      }
    : {};
  useEffect(() => () => (actions.current = {}), []);

  if (error) return html`<div class="conv"><p class="error pad" role="alert">${error}</p></div>`;
  if (!conv) return html`<div class="conv"><p class="muted pad" role="status">Loading conversation #${id}…</p></div>`;

  const inboxOf = (inboxId) => cat.inboxes.find((b) => b.id === inboxId);
  const convOf = (cid) => (cid === conv.id ? conv : (conv.contact_conversations || []).find((c) => c.id === cid));
  const channelOf = (cid) => {
    const c = convOf(cid);
    const b = c && inboxOf(c.inbox_id);
    return b ? channelName(b.channel) : 'unknown channel';
  };
  const inbox = inboxOf(conv.inbox_id);
  const channel = inbox ? channelName(inbox.channel) : `inbox ${conv.inbox_id}`;
  const contact = conv.contact || {};
  const lastIn = [...(conv.timeline || [])].reverse().find((m) => m.direction === 'in' && m.conversation_id === conv.id);
  const an = (lastIn && lastIn.analysis) || {};
  const triage = (an.triage && an.triage.labels) || [];
  const explanation = an.priority && an.priority.explanation;
  const holder = conv.assignee_id;
  const others = Object.entries(presence)
    .filter(([, p]) => (p.state === 'typing' ? Date.now() - p.at < 12e3 : Date.now() - p.at < 10 * 60e3))
    .map(([uid, p]) => ({ uid: Number(uid), state: p.state }));
  const assignable = cat.users.filter((u) => u.role !== 'analyst' && u.status === 'active');
  const freeLabels = cat.labels.filter((l) => !(conv.labels || []).includes(l.name));

  return html`
    <div class="conv">
      <header class="conv-head">
        <div class="title-row">
          <button type="button" class="ghost back" onClick=${() => go('#/')}>← List</button>
          <h2 id="conv-title">${contact.name || 'Customer'} <span class="muted">#${conv.id}</span></h2>
          <span class=${`vis vis-${conv.visibility}`} title=${VIS[conv.visibility].hint}>
            ${conv.visibility === 'public' ? 'Public thread' : 'Private'} · ${channel}</span>
          <span class=${`status status-${conv.status}`}>${conv.status}${conv.status === 'snoozed' && conv.snoozed_until ? ` until ${when(conv.snoozed_until)}` : ''}</span>
        </div>
        <p class="subject-line">${conv.subject}</p>
        <div class="facts">
          <span class=${`prio prio-${conv.priority}`}>${conv.priority} priority</span>
          ${slaBadge(conv.sla)}
          ${explanation && html`<span class="explain" title="Why this priority">because: ${explanation}</span>`}
          ${triage.map((t) => html`<span class="chip triage" title=${`confidence ${Math.round(t.confidence * 100)}%`}>${t.label}${t.topic ? `: ${t.topic}` : ''}</span>`)}
        </div>
        <div class="facts">
          <span>Assigned to <strong>${holder ? nameOf(holder) : 'nobody (in the queue)'}</strong></span>
          <span class="presence" role="status">
            ${others.map((o) => html`<span class=${`who ${o.state}`}>${nameOf(o.uid)} ${o.state === 'typing' ? 'is typing…' : 'is viewing'}</span>`)}</span>
          ${(conv.labels || []).map((l) => html`<span class="chip label">${l}
            ${worker && html`<button type="button" class="x" aria-label=${`Remove label ${l}`} onClick=${() => change('Removing the label', { labels_remove: [l] })}>×</button>`}</span>`)}
        </div>
        ${worker && html`
          <div class="actions" role="group" aria-label="Conversation actions">
            ${holder !== me.id && html`<button type="button" disabled=${busy} onClick=${() => assign(me.id)}>${holder ? 'Take over' : 'Take it'}</button>`}
            ${holder === me.id && html`<button type="button" disabled=${busy} onClick=${() => assign(null)}>Release</button>`}
            ${canManage(me) && html`<label class="inline">Assign
              <select value=${holder || ''} disabled=${busy} onChange=${(e) => e.target.value && assign(Number(e.target.value))}>
                <option value="">—</option>
                ${assignable.map((u) => html`<option value=${u.id}>${u.name} (${u.availability})</option>`)}
              </select></label>`}
            <label class="inline">Priority
              <select value=${conv.priority} disabled=${busy} onChange=${(e) => change('Changing the priority', { priority: e.target.value })}>
                ${PRIORITIES.map((p) => html`<option value=${p}>${p}</option>`)}
              </select></label>
            ${freeLabels.length > 0 && html`<label class="inline">Label
              <select value="" disabled=${busy} onChange=${(e) => e.target.value && change('Labelling', { labels_add: [e.target.value] })}>
                <option value="">add…</option>
                ${freeLabels.map((l) => html`<option value=${l.name}>${l.name}</option>`)}
              </select></label>`}
            ${conv.status !== 'resolved' && html`<label class="inline">Snooze
              <select value="" disabled=${busy} onChange=${(e) => {
                const s = SNOOZES[Number(e.target.value)];
                if (s) change('Snoozing', { status: 'snoozed', snoozed_until: new Date(Date.now() + s.ms).toISOString() });
              }}>
                <option value="">for…</option>
                ${SNOOZES.map((s, i) => html`<option value=${i}>${s.label}</option>`)}
              </select></label>`}
            ${conv.visibility === 'public' && !conv.taken_offline_at && conv.status !== 'resolved' &&
              html`<button type="button" class="take-offline" disabled=${busy} onClick=${takeOffline}
                title="Reply publicly inviting the customer to a private channel">Take it offline</button>`}
            ${conv.taken_offline_at &&
              html`<span class="muted offline-note">Taken offline${conv.linked_conversation_id
                ? html` · continued in <a href=${`#/c/${conv.linked_conversation_id}`}>#${conv.linked_conversation_id}</a>`
                : ''}: post a public closing note before resolving</span>`}
            ${conv.status === 'resolved'
              ? html`<button type="button" disabled=${busy} onClick=${() => change('Reopening', { status: 'open' })}>Reopen</button>`
              : html`<button type="button" class="primary" disabled=${busy} onClick=${resolve} title="Resolve (e)">Resolve</button>`}
          </div>`}
        ${notice && html`<div class=${`notice-box ${notice.kind}`} role="alert">
          <span>${notice.text}</span>
          ${notice.retry && html`<button type="button" class="warn-btn" onClick=${notice.retry}>${notice.retryLabel}</button>`}
          <button type="button" class="ghost" onClick=${() => setNotice(null)}>Dismiss</button>
        </div>`}
      </header>

      <div class="conv-body">
        <div class="thread">
          <ol class="timeline" ref=${timeline} onScroll=${onScroll} aria-label="Timeline across channels" aria-live="polite">
            ${(conv.timeline || []).map((m) => html`<${Message} key=${m.id} m=${m} here=${m.conversation_id === conv.id}
              channel=${channelOf(m.conversation_id)} other=${convOf(m.conversation_id)} contact=${contact} nameOf=${nameOf} />`)}
          </ol>
          ${worker
            ? html`<${Composer} conv=${conv} me=${me} channel=${channel} contact=${contact} handle=${composer}
                holderName=${holder && holder !== me.id ? nameOf(holder) : null} onSent=${() => {
                  stick.current = true;
                  load();
                  onChanged && onChanged();
                }} />`
            : null}
        </div>
        <${Profile} conv=${conv} contact=${contact} cat=${cat} />
      </div>
    </div>`;
}

function Message({ m, here, channel, other, contact, nameOf }) {
  const vis = VIS[m.visibility] || { label: m.visibility, hint: '' };
  const who =
    m.direction === 'in'
      ? contact.name || 'Customer'
      : m.author && m.author.kind === 'user'
        ? nameOf(m.author.id)
        : m.author && m.author.kind === 'bot'
          ? 'Bot'
          : 'Parley';
  const an = m.analysis || {};
  const s = an.sentiment && an.sentiment.compound;
  const pii = an.pii || [];
  const mood = s === undefined ? null : s <= -0.05 ? 'negative' : s >= 0.05 ? 'positive' : 'neutral';
  return html`
    <li class=${`msg dir-${m.direction} vis-${m.visibility} kind-${m.kind} ${here ? '' : 'elsewhere'}`} data-message-id=${m.id}>
      <div class="meta">
        <span class="who">${who}</span>
        <span class=${`vis vis-${m.visibility}`} title=${vis.hint}>${vis.label}</span>
        ${m.visibility !== 'internal' && html`<span class="chan">${channel}</span>`}
        <time datetime=${m.created_at} title=${m.created_at}>${when(m.created_at)}</time>
        ${!here && other && html`<a class="elsewhere-link" href=${`#/c/${other.id}`}>in #${other.id} (${other.status})</a>`}
      </div>
      <p class="body">${m.body}</p>
      ${(m.direction === 'in' && (mood || pii.length > 0)) || m.delivery_status
        ? html`<div class="msg-foot">
            ${m.direction === 'in' && mood && html`<span class=${`mood mood-${mood}`}>${mood} (${s.toFixed(2)})</span>`}
            ${pii.length > 0 && html`<span class="chip pii">contains ${[...new Set(pii.map((p) => p.kind))].join(', ')}</span>`}
            ${m.direction === 'out' && m.kind !== 'note' && m.delivery_status && html`<span class=${`delivery d-${m.delivery_status}`}>${m.delivery_status}</span>`}
          </div>`
        : null}
    </li>`;
}

function Profile({ conv, contact, cat }) {
  const ids = contact.identities || [];
  const convs = conv.contact_conversations || [];
  const moods = (conv.timeline || [])
    .filter((m) => m.direction === 'in' && m.analysis && m.analysis.sentiment)
    .slice(-20)
    .map((m) => ({ id: m.id, s: m.analysis.sentiment.compound, at: m.created_at }));
  return html`
    <aside class="profile" aria-labelledby="profile-title">
      <h3 id="profile-title">${contact.name || 'Customer'}</h3>
      ${contact.email && html`<p class="muted">${contact.email}</p>`}
      ${contact.phone && html`<p class="muted">${contact.phone}</p>`}
      <h4>Identities</h4>
      <ul class="identities">
        ${ids.map((i) => html`<li>
          <span class="chan">${channelName(i.channel)}</span> <strong>${i.handle || i.external_id}</strong>
          ${i.verified && html`<span class="chip" title="verified account">verified</span>`}
          ${i.followers !== null && i.followers !== undefined && html`<span class="muted"> · ${followers(i.followers)}</span>`}
        </li>`)}
        ${ids.length === 0 && html`<li class="muted">none recorded</li>`}
      </ul>
      ${moods.length > 0 && html`
        <h4>Sentiment over time</h4>
        <ol class="moods" aria-label="Sentiment of the customer's messages, oldest first">
          ${moods.map((m) => html`<li class=${m.s <= -0.05 ? 'neg' : m.s >= 0.05 ? 'pos' : 'neu'}
            title=${`${when(m.at)}: ${m.s.toFixed(2)}`}><span class="sr-only">${m.s.toFixed(2)}</span></li>`)}
        </ol>`}
      <h4>Conversations</h4>
      <ul class="past">
        ${convs.map((c) => {
          const b = cat.inboxes.find((x) => x.id === c.inbox_id);
          return html`<li>
            ${c.id === conv.id
              ? html`<span aria-current="true"><strong>#${c.id}</strong> (this one)</span>`
              : html`<a href=${`#/c/${c.id}`}>#${c.id}</a>`}
            <span class=${`status status-${c.status}`}>${c.status}</span>
            <span class="muted">${b ? channelName(b.channel) : ''} · ${c.visibility} · ${ago(c.opened_at)} ago</span>
            <div class="muted clip">${c.subject}</div>
          </li>`;
        })}
      </ul>
    </aside>`;
}
