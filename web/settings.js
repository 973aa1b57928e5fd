// settings.js - the account's settings, one section per kind: list, create,
// edit, delete. Who may change what follows the API exactly (the UI never
// offers a button the API would refuse): supervisors and admins change teams,
// canned responses, labels and SLA policies; admins also users, inboxes,
// business hours and outbound webhooks; analysts read everything they may read;
// agents have no settings. A 422's field errors (JSON pointers) are shown in
// words next to their fields.
import { useState, useEffect, useCallback } from './hooks.module.js';
import { html, channelName, canManage } from './util.js';
import { get, post, patch, put, del, all } from './api.js';

const isAdmin = (me) => me.role === 'admin';
const jsonText = (v) => (v === undefined || v === null ? '' : JSON.stringify(v, null, 2));
const MASK = '********';

// Per channel type: [key, label, kind] (secret: write-only, never shown).
const CHANNEL_FIELDS = {
  api: [['hmac_secret', 'HMAC secret', 'secret'], ['outbound_url', 'Outbound URL (replies are POSTed here)', 'text']],
  messenger: [['page_id', 'Page id', 'text'], ['app_secret', 'App secret', 'secret'], ['verify_token', 'Verify token', 'secret'], ['page_access_token', 'Page access token', 'secret'], ['api_base_url', 'Graph API base URL (optional)', 'text']],
  instagram: [['ig_id', 'Instagram account id', 'text'], ['app_secret', 'App secret', 'secret'], ['verify_token', 'Verify token', 'secret'], ['access_token', 'Access token', 'secret'], ['api_base_url', 'Graph API base URL (optional)', 'text']],
  whatsapp: [['phone_number_id', 'Phone number id', 'text'], ['app_secret', 'App secret', 'secret'], ['verify_token', 'Verify token', 'secret'], ['access_token', 'Access token', 'secret'], ['api_base_url', 'Cloud API base URL (optional)', 'text']],
  twilio_sms: [['account_sid', 'Account SID', 'text'], ['auth_token', 'Auth token', 'secret'], ['from', 'From number', 'text'], ['webhook_url', 'Webhook URL (as configured at Twilio)', 'text'], ['api_base_url', 'API base URL (optional)', 'text']],
  telegram: [['bot_token', 'Bot token', 'secret'], ['secret_token', 'Webhook secret token', 'secret'], ['api_base_url', 'Bot API base URL (optional)', 'text']],
  x: [['user_id', 'Account user id', 'text'], ['consumer_secret', 'Consumer secret', 'secret'], ['access_token', 'Access token', 'secret'], ['api_base_url', 'API base URL (optional)', 'text']],
  email: [['address', 'Address (the inbox\'s own)', 'text'], ['smtp_url', 'SMTP URL (smtp://host:port or smtps://…)', 'text'], ['smtp_username', 'SMTP user name (optional)', 'text'], ['smtp_password', 'SMTP password (optional)', 'secret'], ['from_name', 'From name (optional)', 'text'], ['authserv_id', 'Trusted Authentication-Results id (optional)', 'text']],
  web: [['widget_token', 'Widget token (16+ characters; public, it sits in the page)', 'secret'], ['allowed_origins', 'Allowed origins (one per line, e.g. https://shop.example.com)', 'lines'], ['identity_secret', 'Identity secret (optional, verifies logged-in customers)', 'secret'], ['greeting', 'Greeting (optional)', 'text'], ['color', 'Colour (optional, e.g. #2454d6)', 'text']],
};

const WEEKLY = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']], sat: [], sun: [] };
const TARGETS = { default: { first_response: { internal_minutes: 60 }, next_response: { internal_minutes: 240 }, resolution: { internal_minutes: 1440 } }, critical: { first_response: { internal_minutes: 15 } } };

// A section: where it lives, who changes it, its table and its form.
// field: {name, label, type: text|textarea|color|number|select|check|secret|json|lines|members, options?, create?: only on create, help?}
function sections(ctx) {
  const { me, cat, teams, hours, policies } = ctx;
  const manage = canManage(me);
  const admin = isAdmin(me);
  const opt = (rows, none) => [['', none], ...rows.map((r) => [String(r.id), r.name])];
  return [
    {
      key: 'labels', title: 'Labels', one: 'label', path: '/api/v1/labels', write: manage,
      cols: [['Name', (r) => r.name], ['Colour', (r) => html`<span class="swatch" style=${{ background: r.color }}></span> ${r.color}`]],
      fields: [{ name: 'name', label: 'Name' }, { name: 'color', label: 'Colour', type: 'color' }],
      blank: { name: '', color: '#2454d6' },
    },
    {
      key: 'canned', title: 'Canned responses', one: 'canned response', path: '/api/v1/canned-responses', write: manage,
      cols: [['Short code', (r) => `/${r.short_code}`], ['Title', (r) => r.title], ['Text', (r) => html`<span class="clip">${r.body}</span>`]],
      fields: [
        { name: 'title', label: 'Title' },
        { name: 'short_code', label: 'Short code (typed as /code in the composer)' },
        { name: 'body', label: 'Text', type: 'textarea', help: 'Variables: {{contact.first_name}}, {{contact.name}}, {{agent.name}}, {{agent.first_name}}, {{inbox.name}}' },
      ],
      blank: { title: '', short_code: '', body: '' },
    },
    {
      key: 'teams', title: 'Teams', one: 'team', path: '/api/v1/teams', write: manage,
      cols: [['Name', (r) => r.name], ['Members', (r) => r.member_count ?? '']],
      fields: [{ name: 'name', label: 'Name' }, { name: 'user_ids', label: 'Members', type: 'members' }],
      blank: { name: '', user_ids: [] },
      load: async (r) => ({ ...r, user_ids: ((await get(`/api/v1/teams/${r.id}`)).members || []).map((m) => m.user_id ?? m.id) }),
      save: async (body, item) => {
        const { user_ids, ...rest } = body;
        const t = item ? await patch(`/api/v1/teams/${item.id}`, rest) : await post('/api/v1/teams', rest);
        try {
          await put(`/api/v1/teams/${t.id}/members`, { user_ids });
        } catch (e) {
          e.prefix = '/user_ids';
          throw e;
        }
        return t;
      },
    },
    {
      key: 'sla', title: 'SLA policies', one: 'SLA policy', path: '/api/v1/sla-policies', write: manage,
      cols: [['Name', (r) => r.name], ['Business hours', (r) => (r.business_hours ? 'yes' : 'no')], ['Warning at', (r) => `${r.warning_percent}%`], ['Escalations', (r) => (r.escalations || []).length]],
      fields: [
        { name: 'name', label: 'Name' },
        { name: 'business_hours', label: 'Count only the inbox calendar\'s open hours', type: 'check' },
        { name: 'warning_percent', label: 'Warn at this share of the target (%)', type: 'number' },
        { name: 'targets', label: 'Targets per priority (JSON)', type: 'json', help: 'default, low, medium, high, critical → first_response, next_response, resolution → {"internal_minutes": 30, "published_minutes": 60} or null' },
        { name: 'escalations', label: 'Escalations (JSON)', type: 'json', help: '[{"on": "sla.breached", "target": "first_response", "action": "raise_priority", "priority": "critical"}]; actions assign_team, notify, webhook, email' },
      ],
      blank: { name: '', business_hours: true, warning_percent: 80, targets: TARGETS, escalations: [] },
    },
    {
      key: 'users', title: 'Users', one: 'user', path: '/api/v1/users', write: admin, deleteWord: 'Disable',
      cols: [['Name', (r) => r.name], ['E-mail', (r) => r.email], ['Role', (r) => r.role], ['Status', (r) => r.status], ['Capacity', (r) => r.capacity]],
      fields: [
        { name: 'email', label: 'E-mail', create: true },
        { name: 'name', label: 'Name' },
        { name: 'role', label: 'Role', type: 'select', options: [['agent', 'Agent'], ['supervisor', 'Supervisor'], ['analyst', 'Analyst (read-only)'], ['admin', 'Admin']] },
        { name: 'capacity', label: 'Capacity (open conversations)', type: 'number' },
        { name: 'password', label: 'Password (12+ characters; left empty, one is generated and shown once)', type: 'secret', create: true },
        { name: 'status', label: 'Status', type: 'select', options: [['active', 'Active'], ['disabled', 'Disabled']], edit: true },
      ],
      blank: { email: '', name: '', role: 'agent', capacity: 10, password: '' },
      canDelete: (r) => r.status === 'active' && r.id !== me.id,
    },
    {
      key: 'inboxes', title: 'Inboxes', one: 'inbox', path: '/api/v1/inboxes', write: admin,
      cols: [
        ['Name', (r) => r.name], ['Channel', (r) => channelName(r.channel)], ['Routing', (r) => r.policy],
        ['Website chat', (r) => (r.channel === 'web' ? html`<a href=${`/widget-demo/${r.id}`} target="_blank" rel="noopener" data-demo=${r.id}>Open the widget demo</a>` : '')],
      ],
      fields: [
        { name: 'name', label: 'Name' },
        { name: 'channel', label: 'Channel', type: 'select', create: true, options: Object.keys(CHANNEL_FIELDS).map((c) => [c, channelName(c)]) },
        { name: 'settings', type: 'channel' },
        { name: 'policy', label: 'Routing', type: 'select', options: [['manual', 'Manual'], ['round_robin', 'Round robin'], ['least_loaded', 'Least loaded']] },
        { name: 'sticky', label: 'Sticky (a returning customer goes to the same agent)', type: 'check' },
        { name: 'team_id', label: 'Team', type: 'select', options: opt(teams, 'No team'), id: true },
        { name: 'business_hours_id', label: 'Business hours', type: 'select', options: opt(hours, 'Around the clock'), id: true },
        { name: 'sla_policy_id', label: 'SLA policy', type: 'select', options: opt(policies, 'No SLA clocks'), id: true },
        { name: 'reopen_days', label: 'Reopen within (days)', type: 'number' },
      ],
      blank: { name: '', channel: 'api', settings: {}, policy: 'round_robin', sticky: true, team_id: '', business_hours_id: '', sla_policy_id: '', reopen_days: 7 },
    },
    {
      key: 'hours', title: 'Business hours', one: 'calendar', path: '/api/v1/business-hours', write: admin,
      cols: [['Name', (r) => r.name], ['Hours', (r) => r.description || r.timezone]],
      fields: [
        { name: 'name', label: 'Name' },
        { name: 'timezone', label: 'Time zone (IANA, e.g. Europe/Paris)' },
        { name: 'weekly', label: 'Weekly hours (JSON)', type: 'json', help: 'mon..sun: [["HH:MM","HH:MM"], ...]; an end at or before the start runs overnight' },
        { name: 'holidays', label: 'Holidays (JSON)', type: 'json', help: '[{"date": "2026-12-25", "name": "Christmas"}]; "hours" gives special opening hours' },
      ],
      blank: { name: '', timezone: 'Europe/Paris', weekly: WEEKLY, holidays: [] },
    },
    ...(admin ? [{
      key: 'webhooks', title: 'Outbound webhooks', one: 'webhook', path: '/api/v1/webhooks', write: true,
      cols: [['Name', (r) => r.name], ['URL', (r) => r.url], ['Events', (r) => (r.events || []).join(', ')], ['Active', (r) => (r.active ? 'yes' : 'paused')]],
      fields: [
        { name: 'name', label: 'Name' },
        { name: 'url', label: 'URL (http:// or https://)' },
        { name: 'events', label: 'Events (one per line: *, conversation.*, message.created, sla.breached …)', type: 'lines' },
        { name: 'format', label: 'Format', type: 'select', options: [['json', 'JSON'], ['slack', 'Slack text']] },
        { name: 'active', label: 'Active', type: 'check' },
        { name: 'secret', label: 'Signing secret (16+ characters; left empty, one is generated and shown once)', type: 'secret' },
      ],
      blank: { name: '', url: '', events: ['conversation.*'], format: 'json', active: true, secret: '' },
    }] : []),
  ];
}

// The form's values -> the request body. Secrets left empty are not sent.
function toBody(sec, v, item) {
  const b = {};
  for (const f of sec.fields) {
    if (f.create && item) continue;
    if (f.edit && !item) continue;
    let x = v[f.name];
    if (f.type === 'channel') {
      const ch = item ? item.channel : v.channel;
      const s = {};
      for (const [k, , kind] of CHANNEL_FIELDS[ch] || []) {
        const y = (v.settings || {})[k];
        if (kind === 'secret') {
          if (y) s[k] = y;
        } else if (kind === 'lines') {
          if (y !== undefined) s[k] = String(y).split(/[\n,]/).map((t) => t.trim()).filter(Boolean);
        } else if (y !== undefined && (y !== '' || item)) s[k] = y;
      }
      b.settings = s;
      continue;
    }
    if (f.type === 'secret') {
      if (x) b[f.name] = x;
      continue;
    }
    if (f.type === 'number') x = x === '' || x === undefined ? undefined : Number(x);
    if (f.type === 'lines') x = String(x || '').split(/[\n,]/).map((t) => t.trim()).filter(Boolean);
    if (f.type === 'members') x = x || [];
    if (f.id) x = x === '' || x === undefined || x === null ? null : Number(x);
    if (f.type === 'json') {
      try {
        x = x === '' ? undefined : JSON.parse(x);
      } catch (e) {
        const err = new Error('Not valid JSON');
        err.local = { [`/${f.name}`]: `This is not valid JSON: ${e.message}` };
        throw err;
      }
    }
    if (x !== undefined) b[f.name] = x;
  }
  return b;
}

// An item -> the form's values.
function toForm(sec, item) {
  const v = { ...sec.blank, ...(item || {}) };
  for (const f of sec.fields) {
    if (f.type === 'json') v[f.name] = jsonText(v[f.name]);
    if (f.type === 'lines') v[f.name] = (v[f.name] || []).join('\n');
    if (f.type === 'secret') v[f.name] = '';
    if (f.id) v[f.name] = v[f.name] === null || v[f.name] === undefined ? '' : String(v[f.name]);
    if (f.type === 'channel') {
      const s = { ...(v.settings || {}) };
      for (const k of Object.keys(s)) {
        if (s[k] === MASK) s[k] = '';
        else if (Array.isArray(s[k])) s[k] = s[k].join('\n');
      }
      v.settings = s;
    }
  }
  return v;
}

// Which field a JSON pointer is about: "/settings/page_id" -> "settings.page_id",
// "/targets/high/first_response" -> "targets".
function fieldOf(sec, pointer, channel) {
  const parts = (pointer || '').split('/').slice(1);
  if (!parts.length) return null;
  if (parts[0] === 'settings' && parts[1] && (CHANNEL_FIELDS[channel] || []).some(([k]) => k === parts[1])) return `settings.${parts[1]}`;
  return sec.fields.some((f) => f.name === parts[0]) ? parts[0] : null;
}

export function Settings({ me, cat, section }) {
  const [teams, setTeams] = useState([]);
  const [hours, setHours] = useState([]);
  const [policies, setPolicies] = useState([]);
  const reloadRefs = useCallback(() => {
    all('/api/v1/teams').then(setTeams).catch(() => {});
    all('/api/v1/business-hours').then(setHours).catch(() => {});
    all('/api/v1/sla-policies').then(setPolicies).catch(() => {});
  }, []);
  useEffect(reloadRefs, []);
  const list = sections({ me, cat, teams, hours, policies });
  const sec = list.find((s) => s.key === section) || list[0];
  return html`
    <main class="settings page" id="main">
      <h1>Settings</h1>
      ${!list.some((s) => s.write) && html`<p class="muted">You can read the account's settings; only supervisors and admins change them.</p>`}
      <div class="settings-layout">
        <nav aria-label="Settings sections" class="settings-nav">
          <ul>
            ${list.map((s) => html`<li><a href=${`#/settings/${s.key}`} aria-current=${s.key === sec.key ? 'page' : null}>${s.title}${s.write ? '' : html` <span class="muted ro">(read-only)</span>`}</a></li>`)}
          </ul>
        </nav>
        <${Section} key=${sec.key} sec=${sec} me=${me} cat=${cat} onChanged=${reloadRefs} />
      </div>
    </main>`;
}

function Section({ sec, me, cat, onChanged }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState(null); // null | 'new' | item
  const [confirm, setConfirm] = useState(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(async () => {
    try {
      setRows(await all(sec.path));
      setError('');
    } catch (e) {
      if (e.status !== 401) setError(`The ${sec.title.toLowerCase()} could not be loaded. ${e.message}`);
    }
  }, [sec.path]);
  useEffect(() => {
    load();
  }, [load]);

  const remove = async (r) => {
    setConfirm(null);
    try {
      await del(`${sec.path}/${r.id}`);
      setNotice(`${sec.deleteWord === 'Disable' ? 'Disabled' : 'Deleted'} ${sec.one} ${r.name || r.title || r.id}.`);
      await load();
      onChanged();
    } catch (e) {
      setError(e.message);
    }
  };

  const startEdit = async (r) => {
    setNotice('');
    try {
      setEditing(sec.load ? await sec.load(r) : r);
    } catch (e) {
      setError(e.message);
    }
  };

  return html`<section class="settings-section" aria-labelledby="set-title" data-section=${sec.key}>
    <div class="section-head">
      <h2 id="set-title">${sec.title}</h2>
      ${sec.write && !editing && html`<button type="button" class="primary" data-action="new" onClick=${() => (setNotice(''), setEditing('new'))}>New ${sec.one}</button>`}
    </div>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${editing && html`<${Editor} sec=${sec} me=${me} cat=${cat} item=${editing === 'new' ? null : editing}
      onCancel=${() => setEditing(null)}
      onSaved=${(saved, extra) => {
        setEditing(null);
        setNotice(`Saved ${sec.one} ${saved.name || saved.title || saved.email || saved.id}.${extra || ''}`);
        load();
        onChanged();
      }} />`}
    ${rows === null ? html`<p class="muted" role="status">Loading…</p>` : html`
      <div class="table-scroll">
        <table class="grid settings-table">
          <thead><tr>${sec.cols.map(([l]) => html`<th scope="col">${l}</th>`)}${sec.write && html`<th scope="col"><span class="sr-only">Actions</span></th>`}</tr></thead>
          <tbody>
            ${rows.length === 0 && html`<tr><td colspan=${sec.cols.length + 1} class="muted">None yet.</td></tr>`}
            ${rows.map((r) => html`<tr data-id=${r.id}>
              ${sec.cols.map(([, f], i) => (i === 0 ? html`<th scope="row">${f(r)}</th>` : html`<td>${f(r)}</td>`))}
              ${sec.write && html`<td class="row-actions">
                ${confirm === r.id
                  ? html`<span role="group" aria-label="Confirm">${sec.deleteWord || 'Delete'} ${r.name || r.title || ''}?
                      <button type="button" class="danger" data-action="confirm-delete" onClick=${() => remove(r)}>Yes, ${(sec.deleteWord || 'delete').toLowerCase()}</button>
                      <button type="button" onClick=${() => setConfirm(null)}>No</button></span>`
                  : html`<button type="button" data-action="edit" onClick=${() => startEdit(r)}>Edit<span class="sr-only"> ${r.name || r.title}</span></button>
                      ${(!sec.canDelete || sec.canDelete(r)) && html`<button type="button" data-action="delete" onClick=${() => setConfirm(r.id)}>${sec.deleteWord || 'Delete'}<span class="sr-only"> ${r.name || r.title}</span></button>`}`}
              </td>`}
            </tr>`)}
          </tbody>
        </table>
      </div>`}
  </section>`;
}

function Editor({ sec, me, cat, item, onCancel, onSaved }) {
  const [v, setV] = useState(() => toForm(sec, item));
  const [errs, setErrs] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const channel = item ? item.channel : v.channel;
  const set = (name, value) => setV((o) => ({ ...o, [name]: value }));
  const setS = (k, value) => setV((o) => ({ ...o, settings: { ...(o.settings || {}), [k]: value } }));

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErrs({});
    setFormError('');
    try {
      const body = toBody(sec, v, item);
      const saved = sec.save ? await sec.save(body, item) : item ? await patch(`${sec.path}/${item.id}`, body) : await post(sec.path, body);
      let extra = '';
      if (!item && saved && saved.secret && saved.secret !== MASK) extra = ` Its signing secret, shown this once: ${saved.secret}`;
      if (!item && saved && saved.password) extra = ` The generated password, shown this once: ${saved.password}`;
      onSaved(saved || body, extra);
    } catch (err) {
      if (err.local) {
        setErrs(Object.fromEntries(Object.entries(err.local).map(([p, d]) => [fieldOf(sec, p, channel), d])));
        setFormError('Some values are not valid: see the fields marked below.');
      } else {
        const found = {};
        const rest = [];
        for (const fe of err.errors || []) {
          const name = fieldOf(sec, `${err.prefix || ''}${fe.pointer || ''}`, channel);
          if (name) found[name] = found[name] ? `${found[name]}; ${fe.detail}` : fe.detail;
          else if (fe.detail) rest.push(fe.detail);
        }
        setErrs(found);
        setFormError(Object.keys(found).length
          ? `${err.problem && err.problem.title ? err.problem.title : 'Not saved'}: see the fields marked below.${rest.length ? ` ${rest.join('; ')}` : ''}`
          : err.message);
      }
    } finally {
      setBusy(false);
    }
  };

  const fid = (name) => `f-${sec.key}-${name.replace(/\./g, '-')}`;
  const errOf = (name) => errs[name] && html`<p class="field-error" id=${`${fid(name)}-err`} data-field=${name}>${errs[name]}</p>`;
  const aria = (name) => (errs[name] ? { 'aria-invalid': 'true', 'aria-describedby': `${fid(name)}-err` } : {});

  const control = (f) => {
    const id = fid(f.name);
    const val = v[f.name];
    switch (f.type) {
      case 'textarea':
      case 'json':
        return html`<textarea id=${id} rows=${f.type === 'json' ? 8 : 4} class=${f.type === 'json' ? 'code' : ''} value=${val}
          onInput=${(e) => set(f.name, e.target.value)} ...${aria(f.name)} spellcheck=${f.type === 'json' ? 'false' : 'true'}></textarea>`;
      case 'color':
        return html`<input id=${id} type="color" value=${val || '#2454d6'} onInput=${(e) => set(f.name, e.target.value)} ...${aria(f.name)} />`;
      case 'number':
        return html`<input id=${id} type="number" value=${val ?? ''} onInput=${(e) => set(f.name, e.target.value)} ...${aria(f.name)} />`;
      case 'select':
        return html`<select id=${id} value=${val ?? ''} onChange=${(e) => set(f.name, e.target.value)} ...${aria(f.name)}>
          ${f.options.map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select>`;
      case 'check':
        return html`<input id=${id} type="checkbox" checked=${!!val} onChange=${(e) => set(f.name, e.target.checked)} ...${aria(f.name)} />`;
      case 'secret':
        return html`<input id=${id} type="password" autocomplete="new-password" value=${val || ''}
          placeholder=${item ? 'set; leave empty to keep it' : ''} onInput=${(e) => set(f.name, e.target.value)} ...${aria(f.name)} />`;
      case 'lines':
        return html`<textarea id=${id} rows="3" value=${val} onInput=${(e) => set(f.name, e.target.value)} ...${aria(f.name)}></textarea>`;
      case 'members': {
        const people = cat.users.filter((u) => u.status === 'active');
        return html`<fieldset id=${id} class="members" ...${aria(f.name)}><legend class="sr-only">${f.label}</legend>
          ${people.map((u) => html`<label class="check"><input type="checkbox" checked=${(val || []).includes(u.id)}
            onChange=${(e) => set(f.name, e.target.checked ? [...(val || []), u.id] : (val || []).filter((x) => x !== u.id))} /> ${u.name} <span class="muted">${u.role}</span></label>`)}
        </fieldset>`;
      }
      default:
        return html`<input id=${id} type="text" value=${val ?? ''} onInput=${(e) => set(f.name, e.target.value)} ...${aria(f.name)} />`;
    }
  };

  const fields = sec.fields.filter((f) => !(f.create && item) && !(f.edit && !item));
  return html`<form class="editor" aria-labelledby="ed-title" onSubmit=${submit} noValidate>
    <h3 id="ed-title">${item ? `Edit ${sec.one} ${item.name || item.title || ''}` : `New ${sec.one}`}</h3>
    ${formError && html`<p class="error" role="alert">${formError}</p>`}
    ${fields.map((f) => {
      if (f.type === 'channel') {
        const defs = CHANNEL_FIELDS[channel] || [];
        return html`<fieldset class="channel-settings"><legend>${channelName(channel)} settings${item ? html` <span class="muted">(secrets are never shown: leave them empty to keep them)</span>` : ''}</legend>
          ${errOf('settings')}
          ${defs.map(([k, label, kind]) => {
            const name = `settings.${k}`;
            const id = fid(name);
            const val = (v.settings || {})[k] ?? '';
            const wasSet = item && item.settings && item.settings[k] === MASK;
            return html`<div class="field">
              <label for=${id}>${label}</label>
              ${kind === 'lines'
                ? html`<textarea id=${id} rows="2" value=${val} onInput=${(e) => setS(k, e.target.value)} ...${aria(name)}></textarea>`
                : html`<input id=${id} type=${kind === 'secret' ? 'password' : 'text'} autocomplete=${kind === 'secret' ? 'new-password' : 'off'} value=${val}
                    placeholder=${kind === 'secret' && wasSet ? 'set; leave empty to keep it' : ''} onInput=${(e) => setS(k, e.target.value)} ...${aria(name)} />`}
              ${errOf(name)}
            </div>`;
          })}
        </fieldset>`;
      }
      return html`<div class=${`field${f.type === 'check' ? ' field-check' : ''}`}>
        <label for=${fid(f.name)}>${f.label}</label>
        ${control(f)}
        ${f.help && html`<p class="help muted">${f.help}</p>`}
        ${errOf(f.name)}
      </div>`;
    })}
    <div class="send-row">
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : item ? 'Save' : `Create ${sec.one}`}</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

// The settings nav entry: shown to everyone but agents.
export const seesSettings = (me) => !!me && me.role !== 'agent';
