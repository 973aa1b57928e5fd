// composer.js - replies and internal notes: /shortcode canned responses,
// suggested replies, brand-voice and sensitive-data findings while typing
// (the server's own checks, debounced), the public-reply warning, channel
// limits, and every refusal (blocked reply, colleague holding it) in words.
import { useState, useEffect, useRef } from './hooks.module.js';
import { html, markSpans, byteToIndex } from './util.js';
import { get, post, qs } from './api.js';

const PII_NAMES = { card: 'card number', iban: 'IBAN', email: 'e-mail address', phone: 'phone number', ssn: 'social security number', account: 'account number' };

// Characters a channel takes in one message (informative: the server decides).
const LIMITS = { X: 280, SMS: 1600, WhatsApp: 4096, Instagram: 1000, Messenger: 2000, Telegram: 4096 };

function smsSegments(text) {
  const gsm = /^[\n\r A-Za-z0-9@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~\]|€]*$/.test(text);
  const n = [...text].length;
  if (!n) return 0;
  const [one, many] = gsm ? [160, 153] : [70, 67];
  return n <= one ? 1 : Math.ceil(n / many);
}

export function Composer({ conv, me, channel, contact, handle, holderName, onSent }) {
  const [mode, setMode] = useState('reply');
  const [text, setText] = useState('');
  const [check, setCheck] = useState(null); // the analysis of the draft
  const [checkError, setCheckError] = useState('');
  const [problem, setProblem] = useState(null); // {kind, text, items?}
  const [sending, setSending] = useState(false);
  const [canned, setCanned] = useState(null); // {code, start, end, items, active}
  const [suggestions, setSuggestions] = useState([]);
  const ta = useRef(null);
  const seq = useRef(0);
  const cannedSeq = useRef(0);
  const lastTyping = useRef(0);
  const isPublic = conv.visibility === 'public';
  const reply = mode === 'reply';

  handle.current = {
    focus: (m) => {
      setMode(m);
      setTimeout(() => ta.current && ta.current.focus(), 0);
    },
  };

  useEffect(() => {
    get(`/api/v1/conversations/${conv.id}/suggestions`)
      .then((r) => setSuggestions(r.data.slice(0, 3)))
      .catch(() => setSuggestions([]));
  }, [conv.id]);

  // Findings while typing: the server's analysis of the draft, debounced;
  // an answer that arrives after a newer draft is dropped.
  useEffect(() => {
    const n = ++seq.current;
    if (!reply || !text.trim()) {
      setCheck(null);
      setCheckError('');
      return;
    }
    const t = setTimeout(async () => {
      try {
        const r = await post('/api/v1/analyze', { text, visibility: isPublic ? 'public' : 'private' });
        if (n === seq.current) {
          setCheck({ ...r, text });
          setCheckError('');
        }
      } catch (e) {
        if (n === seq.current && e.status !== 401) setCheckError(`The draft could not be checked: ${e.message}`);
      }
    }, 350);
    return () => clearTimeout(t);
  }, [text, mode, conv.visibility]);

  const typing = () => {
    const now = Date.now();
    if (now - lastTyping.current > 5000) {
      lastTyping.current = now;
      post(`/api/v1/conversations/${conv.id}/presence`, { state: 'typing' }).catch(() => {});
    }
  };

  // "/code" just before the caret opens the canned responses whose short code starts with it.
  const lookForShortcode = (value, caret) => {
    const before = value.slice(0, caret);
    const m = before.match(/(^|\s)\/([a-z0-9_-]{0,32})$/);
    if (!m) {
      setCanned(null);
      return;
    }
    const start = caret - m[2].length - 1;
    const code = m[2];
    const n = ++cannedSeq.current;
    setCanned((c) => ({ code, start, end: caret, items: c ? c.items : [], active: 0, loading: true }));
    get(`/api/v1/canned-responses${qs({ q: code, limit: 8 })}`)
      .then((r) => n === cannedSeq.current && setCanned((c) => c && { ...c, items: r.data, active: 0, loading: false }))
      .catch((e) => n === cannedSeq.current && setCanned((c) => c && { ...c, items: [], loading: false, error: e.message }));
  };

  const onInput = (e) => {
    const v = e.target.value;
    setText(v);
    setProblem(null);
    typing();
    lookForShortcode(v, e.target.selectionStart);
  };

  // Fills a canned response for this conversation and puts it in the draft:
  // in place of "/code", or (a suggestion) into an empty draft or at its end.
  const insertCanned = async (item, range) => {
    try {
      const r = await post(`/api/v1/canned-responses/${item.id}/render`, { conversation_id: conv.id });
      const cur = ta.current ? ta.current.value : text;
      let next, caret;
      if (range) {
        next = cur.slice(0, range.start) + r.text + cur.slice(range.end);
        caret = range.start + r.text.length;
      } else {
        next = cur.trim() ? `${cur.replace(/\s+$/, '')}\n${r.text}` : r.text;
        caret = next.length;
      }
      setText(next);
      setCanned(null);
      setTimeout(() => {
        if (ta.current) {
          ta.current.focus();
          ta.current.setSelectionRange(caret, caret);
        }
      }, 0);
    } catch (e) {
      setCanned(null);
      if (e.status !== 401) setProblem({ kind: 'error', text: `“${item.title}” could not be filled in. ${e.message}` });
    }
  };

  const send = async (takeover = false) => {
    const body = text;
    if (!body.trim() || sending) return;
    setSending(true);
    setProblem(null);
    try {
      await post(`/api/v1/conversations/${conv.id}/messages`, takeover ? { kind: mode, body, takeover: true } : { kind: mode, body });
      setText('');
      setCheck(null);
      setCanned(null);
      onSent();
    } catch (e) {
      const type = e.problem && e.problem.type;
      if (e.status === 422 && type === '/problems/reply-blocked') {
        setProblem({
          kind: 'blocked',
          text: `Reply blocked, nothing was sent: ${e.problem.detail}.`,
          items: e.errors.map((x) => ({ text: x.detail, excerpt: x.start !== undefined ? body.slice(byteToIndex(body, x.start), byteToIndex(body, x.end)) : '' })),
        });
      } else if (e.status === 409 && e.hasPointer('/takeover')) {
        setProblem({ kind: 'takeover', text: `${holderName || 'A colleague'} is handling this conversation. Send anyway and take it over?` });
      } else if (e.status !== 401) {
        setProblem({ kind: 'error', text: `Not sent. ${e.message}` });
      }
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (e) => {
    if (canned && canned.items.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setCanned({ ...canned, active: (canned.active + d + canned.items.length) % canned.items.length });
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        insertCanned(canned.items[canned.active], canned);
        return;
      }
    }
    if (e.key === 'Escape') {
      if (canned) setCanned(null);
      else e.target.blur();
      return;
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  };

  const voice = (check && check.voice) || [];
  const pii = (check && check.pii) || [];
  const errors = voice.filter((f) => f.severity === 'error');
  const warnings = voice.filter((f) => f.severity !== 'error');
  const limit = LIMITS[channel];
  const chars = [...text].length;
  const segs = channel === 'SMS' && reply ? smsSegments(text) : 0;
  const listId = `canned-${conv.id}`;
  const hintId = `composer-hint-${conv.id}`;
  const findingsId = `composer-findings-${conv.id}`;

  return html`
    <form class=${`composer mode-${mode} ${reply && isPublic ? 'public' : ''}`} aria-label="Compose"
      onSubmit=${(e) => {
        e.preventDefault();
        send();
      }}>
      <div class="mode" role="radiogroup" aria-label="Reply or note">
        <label class=${reply ? 'on' : ''}><input type="radio" name=${`mode-${conv.id}`} value="reply" checked=${reply}
          onChange=${() => setMode('reply')} /> Reply to customer</label>
        <label class=${!reply ? 'on' : ''}><input type="radio" name=${`mode-${conv.id}`} value="note" checked=${!reply}
          onChange=${() => setMode('note')} /> Internal note</label>
      </div>
      <p id=${hintId} class=${`hint ${reply && isPublic ? 'public-warning' : ''}`} role="note">
        ${reply
          ? isPublic
            ? html`<strong>Public reply: visible to everyone</strong> on ${channel}, not only to ${contact.name || 'the customer'}.`
            : html`Private reply to ${contact.name || 'the customer'} on ${channel}.`
          : html`Internal note: only your team sees it. <code>@name</code> notifies a colleague.`}
      </p>
      <div class="draft">
        <label for=${`draft-${conv.id}`} class="sr-only">${reply ? 'Reply' : 'Note'}</label>
        <textarea id=${`draft-${conv.id}`} ref=${ta} rows="4" value=${text} onInput=${onInput} onKeyDown=${onKeyDown}
          onBlur=${() => setTimeout(() => setCanned(null), 200)}
          placeholder=${reply ? 'Write a reply… type / for canned responses' : 'Write a note for your team…'}
          role="combobox" aria-autocomplete="list" aria-expanded=${canned && canned.items.length ? 'true' : 'false'}
          aria-controls=${listId} aria-activedescendant=${canned && canned.items.length ? `${listId}-${canned.active}` : null}
          aria-describedby=${`${hintId} ${findingsId}`}></textarea>
        ${canned && html`
          <ul id=${listId} class="canned" role="listbox" aria-label="Canned responses">
            ${canned.items.map((c, i) => html`<li id=${`${listId}-${i}`} role="option" aria-selected=${i === canned.active}
              class=${i === canned.active ? 'active' : ''}
              onMouseDown=${(e) => {
                e.preventDefault();
                insertCanned(c, canned);
              }}><code>/${c.short_code}</code> ${c.title}</li>`)}
            ${!canned.loading && canned.items.length === 0 && html`<li class="muted" role="presentation">${canned.error || `No canned response starts with /${canned.code}`}</li>`}
          </ul>`}
      </div>
      <div id=${findingsId} class="findings" aria-live="polite">
        ${checkError && html`<p class="error">${checkError}</p>`}
        ${check && check.text === text && (errors.length > 0 || warnings.length > 0 || pii.length > 0) && html`
          <ul>
            ${errors.map((f) => html`<li class="finding error"><strong>Blocks sending:</strong> ${f.message}
              ${f.end > f.start && html` — “${text.slice(byteToIndex(text, f.start), byteToIndex(text, f.end))}”`}</li>`)}
            ${warnings.map((f) => html`<li class="finding warning"><strong>Brand voice:</strong> ${f.message}
              ${f.end > f.start && html` — “${text.slice(byteToIndex(text, f.start), byteToIndex(text, f.end))}”`}</li>`)}
            ${pii.length > 0 && errors.every((f) => f.rule !== 'pii_public') && html`<li class="finding warning"><strong>Sensitive data:</strong>
              ${markSpans(text, pii).filter((p) => p.mark).map((p) => html`<span class="pii-span">${PII_NAMES[p.mark.kind] || p.mark.kind} “${p.text}”</span> `)}</li>`}
          </ul>`}
      </div>
      ${problem && html`
        <div class=${`notice-box ${problem.kind === 'takeover' ? 'warn' : 'error'}`} role="alert">
          <span>${problem.text}</span>
          ${problem.items && problem.items.length > 0 && html`<ul>${problem.items.map((x) => html`<li>${x.text}${x.excerpt && html` — “${x.excerpt}”`}</li>`)}</ul>`}
          ${problem.kind === 'takeover' && html`<button type="button" class="warn-btn" onClick=${() => send(true)}>Take over and send</button>`}
        </div>`}
      ${suggestions.length > 0 && reply && html`
        <div class="suggestions" role="group" aria-label="Suggested replies">
          <span class="muted">Suggested:</span>
          ${suggestions.map((s) => html`<button type="button" class="chip-btn" title=${s.body} onClick=${() => insertCanned(s, null)}>${s.title}</button>`)}
        </div>`}
      <div class="send-row">
        <span class="muted counter">${chars} characters${limit ? ` of ${limit}` : ''}${segs ? ` · ${segs} SMS segment${segs === 1 ? '' : 's'}` : ''}</span>
        <button type="submit" class="primary" disabled=${sending || !text.trim()}>
          ${sending ? 'Sending…' : reply ? (isPublic ? 'Send public reply' : 'Send reply') : 'Add note'}</button>
      </div>
    </form>`;
}
