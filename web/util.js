// util.js - small shared helpers: the html tag, time and text formatting.
import { h } from './preact.module.js';
import htm from './htm.module.js';

export const html = htm.bind(h);

const enc = new TextEncoder();

// The API reports spans as UTF-8 byte offsets; JavaScript strings count
// UTF-16 units. Converts a byte offset of text into a string index.
export function byteToIndex(text, byteOffset) {
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    if (bytes >= byteOffset) return i;
    bytes += enc.encode(ch).length;
    i += ch.length;
  }
  return text.length;
}

// Splits text into [{text, mark}] pieces for the given byte spans.
export function markSpans(text, spans) {
  const cuts = spans
    .map((s) => ({ a: byteToIndex(text, s.start), b: byteToIndex(text, s.end), s }))
    .filter((c) => c.b > c.a)
    .sort((x, y) => x.a - y.a);
  const out = [];
  let at = 0;
  for (const c of cuts) {
    if (c.a < at) continue;
    if (c.a > at) out.push({ text: text.slice(at, c.a) });
    out.push({ text: text.slice(c.a, c.b), mark: c.s });
    at = c.b;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d`;
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

const CHANNELS = {
  api: 'API',
  messenger: 'Messenger',
  instagram: 'Instagram',
  whatsapp: 'WhatsApp',
  x: 'X',
  sms: 'SMS',
  twilio_sms: 'SMS',
  telegram: 'Telegram',
  email: 'E-mail',
  web: 'Website chat',
  form: 'Web form',
};
export const channelName = (c) => CHANNELS[c] || c || 'unknown channel';

export function followers(n) {
  if (n === null || n === undefined) return '';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M followers`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k followers`;
  return `${n} follower${n === 1 ? '' : 's'}`;
}

export function debounce(fn, ms) {
  let t;
  const d = (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
  d.cancel = () => clearTimeout(t);
  return d;
}

export const canWork = (me) => !!me && me.role !== 'analyst';
export const canManage = (me) => !!me && (me.role === 'supervisor' || me.role === 'admin');

export const PRIORITIES = ['critical', 'high', 'medium', 'low'];
export const STATUSES = ['open', 'pending', 'snoozed', 'resolved'];

// "[grinding]" in a search snippet marks the hit.
export function snippetParts(s) {
  return (s || '').split(/(\[[^\]]*\])/).map((p) =>
    p.startsWith('[') && p.endsWith(']') ? { text: p.slice(1, -1), mark: true } : { text: p });
}

// Navigates within the console (hash routes: #/, #/c/ID, #/overview).
export function go(hash) {
  if (location.hash !== hash) location.hash = hash;
}

// The service-level countdown of a conversation (its "sla" member, when the
// server keeps service levels): amber from the warning time, red once due.
const TARGETS = { first_response: 'first reply', next_response: 'next reply', resolution: 'resolution', frt: 'first reply' };
export function slaBadge(sla, now = Date.now()) {
  if (!sla || !sla.due_at) return null;
  const due = Date.parse(sla.due_at);
  const warn = sla.warning_at ? Date.parse(sla.warning_at) : due;
  const left = due - now;
  const level = sla.paused ? 'paused' : left <= 0 ? 'breached' : now >= warn ? 'warning' : 'ok';
  const span = ago(new Date(now - Math.abs(left)).toISOString(), now);
  const what = TARGETS[sla.target] || (sla.target || 'service level').replace(/_/g, ' ');
  const text = sla.paused ? `${what}: paused` : left <= 0 ? `${what} overdue ${span}` : `${what} due in ${span}`;
  return html`<span class=${`sla sla-${level}`} title=${`due ${new Date(due).toLocaleString()}`}>${text}</span>`;
}
