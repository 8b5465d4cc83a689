// The v1 API, read-only. Every call is a same-origin GET; errors carry the API's problem message.
// Where the API wants a token (a viewer's is enough), it is kept for this browser tab only.

const TOKEN_KEY = 'ferry.token';
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => (value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY)),
};
let onUnauthorized = () => {};
export const whenUnauthorized = (handler) => {
  onUnauthorized = handler;
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function get(path, params, signal) {
  const query = params
    ? new URLSearchParams(
        Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''),
      ).toString()
    : '';
  const secret = token.get();
  const headers = secret
    ? { accept: 'application/json', authorization: `Bearer ${secret}` }
    : { accept: 'application/json' };
  const response = await fetch(query ? `${path}?${query}` : path, { headers, signal });
  if (response.status === 401) onUnauthorized();
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw new ApiError(response.status, body?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

const enc = encodeURIComponent;

export const api = {
  conflicts: (params, signal) => get('/v1/conflicts', params, signal),
  summary: (params, signal) => get('/v1/conflicts/summary', params, signal),
  cell: (params) => get('/v1/conflicts/cell', params),
  hosts: (params) => get('/v1/hosts', params),
  host: (id) => get(`/v1/hosts/${enc(id)}`),
  guests: (params) => get('/v1/guests', params),
  guest: (id, asOf) => get(`/v1/guests/${enc(id)}`, { asOf }),
  destinations: (id) => get(`/v1/guests/${enc(id)}/destinations`),
  stream: (id) => get(`/v1/streams/${enc(id)}`),
  events: (after, limit) => get('/v1/events', { after, limit }),
  migrations: (state) => get('/v1/migrations', { state }),
};

/** Every host, in matrix order (by id). Hosts come 1000 to a page. */
export async function allHosts() {
  const hosts = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api.hosts({ offset, limit: 1000 });
    hosts.push(...page.items);
    if (hosts.length >= page.total || page.items.length === 0) break;
  }
  return hosts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The newest log position: every /v1/events answer carries it. */
export async function lastPosition() {
  return (await api.events(0, 1)).lastPosition;
}
