// api.js - every call to Parley's API: same-origin cookie, the CSRF header on
// writes, problems (RFC 9457) turned into errors that say what happened.
export class ApiError extends Error {
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem || null;
  }
  // The field errors ({pointer, detail, ...}) of the problem.
  get errors() {
    return (this.problem && Array.isArray(this.problem.errors) && this.problem.errors) || [];
  }
  hasPointer(p) {
    return this.errors.some((e) => e.pointer === p);
  }
}

let unauthorized = () => {};
// Called once per 401: the session ended (idle logout, sign-out elsewhere).
export function onUnauthorized(fn) {
  unauthorized = fn;
}

const GENERIC = {
  400: 'The request was not understood',
  403: 'You are not allowed to do this',
  404: 'Not found: it may have been removed',
  409: 'Someone changed this at the same time',
  413: 'That is too large',
  422: 'Some values are not valid',
  429: 'Too many requests: wait a moment and try again',
  500: 'Parley could not complete this; nothing was changed',
  503: 'Parley is not ready; try again in a moment',
};

export function describe(status, p) {
  if (p && (p.detail || p.title)) {
    const head = p.detail && p.detail !== p.title ? `${p.title}: ${p.detail}` : p.title || p.detail;
    const extra = (p.errors || [])
      .map((e) => e.detail)
      .filter((d) => d && !head.includes(d));
    return extra.length ? `${head} (${extra.join('; ')})` : head;
  }
  return `${GENERIC[status] || 'The request failed'} (HTTP ${status}).`;
}

export async function api(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Requested-With'] = 'parley';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, null, 'Parley could not be reached: check the connection and try again.');
  }
  let data = null;
  if (res.status !== 204 && (res.headers.get('content-type') || '').includes('json')) {
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
  }
  if (res.ok) return data;
  const err = new ApiError(res.status, data, describe(res.status, data));
  if (res.status === 401 && !quiet401) unauthorized(err);
  throw err;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

// Every page of a cursor-paginated list (bounded).
export async function all(path, max = 10) {
  const out = [];
  let after = null;
  for (let i = 0; i < max; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    out.push(...page.data);
    if (!page.next) break;
    after = page.next;
  }
  return out;
}
