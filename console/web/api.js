// The one way pages reach the services: /api/<service>/<path> on this origin, the session
// cookie sent by the browser, the CSRF header echoed on every change, problem+json turned
// into an ApiError whose message is the service's own reason.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function query(params) {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function url(service, path, params) {
  return `/api/${service}${path}${query(params)}`;
}

// opts: {method, body, file, params, idempotencyKey, raw}; `file` (a Blob) is sent as the
// body itself, with its own type (a photo upload), instead of a JSON `body`.
export async function api(service, path, opts = {}) {
  const sends = opts.body !== undefined || opts.file !== undefined;
  const method = opts.method || (sends ? 'POST' : 'GET');
  const headers = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.file !== undefined) headers['Content-Type'] = opts.file.type || 'application/octet-stream';
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  const response = await fetch(url(service, path, opts.params), {
    method, headers, credentials: 'same-origin',
    body: opts.file !== undefined ? opts.file
      : opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  if (opts.raw) return response;
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    throw new ApiError(response.status, typeof data === 'object' ? data : { detail: data });
  }
  return data;
}

// A fresh key per user action: a retried click never does the thing twice.
export function newKey() {
  return crypto.randomUUID();
}

// Server-sent events through the same origin; the browser resumes with Last-Event-ID itself.
// The services name their events (`event: gongzhi.whistle.blown.v1`), which onmessage never
// sees: pass those names in `events` to hear them.
export function live(service, path, onMessage, params, events = []) {
  const source = new EventSource(url(service, path, params), { withCredentials: true });
  source.onmessage = (e) => onMessage(JSON.parse(e.data), e);
  for (const name of events) source.addEventListener(name, (e) => onMessage(JSON.parse(e.data), e));
  const off = () => source.close();
  window.addEventListener('gz:leave', off, { once: true });
  return source;
}
