// live.js - the account's live event stream (GET /api/v1/stream) as
// server-sent events. EventSource reconnects by itself and resumes with
// Last-Event-ID; when the session has ended the stream answers 401 and the
// caller is told (onDown), so it can check and return to the login page.
const TYPES = [
  'message.created', 'message.delivery',
  'conversation.created', 'conversation.assigned', 'conversation.unassigned',
  'conversation.opened', 'conversation.reopened', 'conversation.pending',
  'conversation.resolved', 'conversation.snoozed', 'conversation.woke',
  'conversation.updated', 'conversation.priority_changed',
  'presence.viewing', 'presence.typing', 'presence.left',
  'notification.mention',
  'user.created', 'user.updated',
  'label.created', 'label.updated', 'label.deleted',
  'inbox.created', 'inbox.updated', 'inbox.deleted',
  'contact.updated', 'contact.merged',
  'team.created', 'team.updated', 'team.deleted', 'team.members_changed',
  'canned.created', 'canned.updated', 'canned.deleted',
  'business_hours.created', 'business_hours.updated', 'business_hours.deleted',
  'sla_policy.created', 'sla_policy.updated', 'sla_policy.deleted',
  'sla.warning', 'sla.breached',
  'webhook.created', 'webhook.updated', 'webhook.deleted',
];

export function connect({ onEvent, onState }) {
  let es = null;
  let closed = false;
  let retry = null;
  const open = () => {
    if (closed) return;
    es = new EventSource('/api/v1/stream');
    es.onopen = () => onState('live');
    es.onerror = () => {
      if (closed) return;
      if (es.readyState === EventSource.CLOSED) {
        // The server refused (401, 429) or went away for good: try again later.
        onState('down');
        retry = setTimeout(open, 5000);
      } else {
        onState('reconnecting');
      }
    };
    const handler = (ev) => {
      let data = null;
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      onEvent(data);
    };
    for (const t of TYPES) es.addEventListener(t, handler);
  };
  open();
  return () => {
    closed = true;
    clearTimeout(retry);
    if (es) es.close();
  };
}
