// The console's only way to syncd: the REST routes in openapi.yaml, on the
// origin that served the console. Authentication (accounts.md): in `none`
// mode there is no token. In `token` mode the console routes are
// operator-only: the operator signs in (POST /login; a non-operator account
// is refused), the access token is kept in memory only and every request
// carries it as a bearer token. The refresh token is kept in sessionStorage
// (this tab only, gone when it closes): a reload, or an access token that
// ran out, gets a new pair from POST /token/refresh. When that fails too
// the onAuthRequired hook shows the sign-in form again.

export interface Health {
  status: 'ok' | 'degraded' | 'shutting_down';
  reason: string | null;
}

export interface StatsPoint {
  t_ms: number;
  received_per_s: number;
  acked_per_s: number;
  ack_p50_ms: number;
  ack_p95_ms: number;
  ack_p99_ms: number;
  batch_size: number;
  pending: number;
  in_flight: number;
  retry_wait: number;
  dead: number;
  connections: number;
  tenants: number;
}

export interface Overview {
  health: Health;
  server_time_ms: number;
  uptime_s: number;
  version: string;
  queue: { pending: number; in_flight: number; retry_wait: number; dead: number };
  totals: {
    received: number;
    applied: number;
    superseded: number;
    manual: number;
    nacked: number;
    dead_lettered: number;
  };
  batch: { count: number; avg_size: number; max_size: number; avg_commit_ms: number };
  event_streams: number;
  point: StatsPoint;
}

export interface MetricsHistory {
  minutes: number;
  interval_ms: number;
  points: StatsPoint[];
}

export interface Paged<T> {
  total: number;
  limit: number;
  offset: number;
  items: T[];
}

export interface DeadLetter {
  tenant_id: string;
  entry_id: string;
  entity_type: string;
  entity_id: string;
  operation: string;
  payload: unknown;
  version: number;
  attempts: number;
  last_error: string;
  received_at_ms: number;
  dead_at_ms: number | null;
}

export type OperatorAction = 'retry' | 'ack' | 'nack';

export interface ActionResult {
  tenant_id: string;
  entry_id: string;
  success: boolean;
  code: string;
  message: string;
  state: string | null;
}

export interface ActionResponse {
  action: OperatorAction;
  actor: string;
  results: ActionResult[];
  succeeded: number;
  failed: number;
}

export interface Conflict {
  id: number;
  tenant_id: string;
  entity_type: string;
  entity_id: string;
  entry_id: string;
  incoming_version: number;
  stored_version: number;
  incoming_checksum: string;
  stored_checksum: string;
  incoming_operation: string | null;
  incoming_data: Record<string, unknown> | null;
  stored_data: Record<string, unknown> | null;
  detected_at_ms: number;
  status: 'open' | 'resolved';
  /** The conflict's kind: server_wins or client_wins_tie (never changes). */
  resolution: string;
  /** What the operator did: take_incoming, keep_stored or restore_replaced; null while open. */
  resolved_action: string | null;
  resolved_at_ms: number | null;
  resolved_by: string | null;
  resolution_entry_id: string | null;
}

export type ResolveAction = 'take_incoming' | 'keep_stored' | 'restore_replaced';

export interface ResolveResponse {
  conflict: Conflict;
  entry_id: string | null;
  result: { status: string; outcome?: string; reason?: string; detail?: string } | null;
}

export interface TenantSummary {
  tenant_id: string;
  entities: Record<string, number>;
  entity_total: number;
  queue_depth: number;
  dead: number;
  open_conflicts: number;
  connections: number;
  last_sync_ms: number | null;
}

export interface EntitySummary {
  entity_type: string;
  entity_id: string;
  name: string | null;
  version: number;
  deleted: boolean;
  modified_at_ms: number;
}

export interface HistoryRow {
  entry_id: string;
  operation: string;
  result: string;
  at_ms: number;
  actor: string | null;
}

export interface EntityDetail {
  tenant_id: string;
  entity_type: string;
  entity_id: string;
  version: number;
  deleted: boolean;
  checksum: string;
  modified_at_ms: number;
  source_entry_id: string;
  data: unknown;
  history: HistoryRow[];
}

export interface EntryTimeline {
  entry: {
    tenant_id: string;
    entry_id: string;
    state: string;
    attempts: number;
    last_error: string | null;
    result: Record<string, unknown> | null;
  };
  entity_type: string;
  entity_id: string;
  operation: string;
  received_at_ms: number;
  finished_at_ms: number | null;
  timeline: { at_ms: number | null; event: string; detail: string; actor: string | null }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REFRESH_KEY = 'syncd-console-refresh';

function storedRefreshToken(): string | null {
  try {
    return sessionStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

function storeRefreshToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(REFRESH_KEY, token);
    else sessionStorage.removeItem(REFRESH_KEY);
  } catch {
    // Storage refused (private mode): a reload asks to sign in again.
  }
}

// The access token: in memory only, never in storage.
let authToken: string | null = null;
let refreshToken: string | null = storedRefreshToken();
let authRequired: ((expired: boolean) => void) | null = null;

// Forgets the session (sign out, a refused refresh).
export function clearSession(): void {
  authToken = null;
  refreshToken = null;
  storeRefreshToken(null);
}

export function hasAuthToken(): boolean {
  return authToken !== null || refreshToken !== null;
}

// Called when syncd answers 401 and no refresh helps: `expired` when a
// session existed (it ended or its user is gone), false when there was none.
export function onAuthRequired(hook: (expired: boolean) => void): void {
  authRequired = hook;
}

// The `role` claim of one of syncd's access tokens (not verified here:
// syncd verifies it on every request; this only decides what to show).
function tokenRole(token: string): string | null {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4))) as { role?: string };
    return claims.role ?? null;
  } catch {
    return null;
  }
}

// Thrown by login() for an account that is not an operator's.
export class NotOperatorError extends Error {
  constructor() {
    super('This is not an operator account: the console needs an operator.');
  }
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

async function post<T>(path: string, body: unknown): Promise<{ status: number; json: T | null }> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  let json: T | null = null;
  try {
    json = text ? (JSON.parse(text) as T) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json };
}

// POST /login: keeps the access token in memory and the refresh token in
// sessionStorage. Throws NotOperatorError for a non-operator account (its
// refresh token is revoked at once), ApiError otherwise (401
// invalid_credentials, 429 too_many_requests).
export async function login(email: string, password: string): Promise<void> {
  const r = await request<TokenPair>('POST', '/login', {
    username_or_email: email,
    password,
  });
  if (tokenRole(r.accessToken) !== 'operator') {
    await post('/logout', { refreshToken: r.refreshToken }).catch(() => undefined);
    clearSession();
    throw new NotOperatorError();
  }
  authToken = r.accessToken;
  refreshToken = r.refreshToken;
  storeRefreshToken(r.refreshToken);
}

// POST /logout for the kept refresh token, then forgets the session.
export async function logout(): Promise<void> {
  const token = refreshToken;
  clearSession();
  if (token) await post('/logout', { refreshToken: token }).catch(() => undefined);
}

// One refresh at a time: refresh tokens rotate, and the same one sent twice
// revokes the whole chain (accounts.md).
let refreshing: Promise<boolean> | null = null;

// POST /token/refresh with the kept refresh token: true when a new pair was
// obtained (an operator's).
export function refreshSession(): Promise<boolean> {
  if (!refreshToken) return Promise.resolve(false);
  if (!refreshing) {
    const token = refreshToken;
    refreshing = post<TokenPair>('/token/refresh', { refreshToken: token })
      .then(({ status, json }) => {
        if (status !== 200 || !json || tokenRole(json.accessToken) !== 'operator') {
          if (status !== 0 && status < 500) clearSession();
          return false;
        }
        authToken = json.accessToken;
        refreshToken = json.refreshToken;
        storeRefreshToken(json.refreshToken);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

async function request<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  retried = false,
): Promise<T> {
  // A reload kept only the refresh token: get an access token first.
  if (!authToken && refreshToken && path !== '/login') await refreshSession();
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (authToken) headers.Authorization = `Bearer ${authToken}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', `syncd is not reachable (${String(e)})`);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (response.status === 401 && path !== '/login') {
    // The access token ran out: one refresh, then the request once more.
    if (!retried && refreshToken && (await refreshSession())) {
      return request<T>(method, path, body, true);
    }
    const expired = authToken !== null || refreshToken !== null;
    clearSession();
    authRequired?.(expired);
  }
  if (!response.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, err?.code ?? 'http_' + response.status, err?.message ?? text);
  }
  return json as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

const enc = encodeURIComponent;

// GET /api/v1/events: an `overview` event every 2 s (the JSON of
// GET /api/v1/overview). EventSource cannot send an Authorization header, so
// a token goes in the query (syncd never logs query strings). null when the
// browser has no EventSource: poll instead.
// onError's `closed`: the browser gave up (an answer other than a 200
// text/event-stream, e.g. the 503 while syncd stops) and will not reconnect.
export function overviewEvents(
  onOverview: (o: Overview) => void,
  onError: (closed: boolean) => void,
): EventSource | null {
  if (typeof EventSource === 'undefined') return null;
  const source = new EventSource('/api/v1/events' + (authToken ? query({ access_token: authToken }) : ''));
  source.addEventListener('overview', (e) => {
    try {
      onOverview(JSON.parse((e as MessageEvent<string>).data) as Overview);
    } catch {
      onError(false);
    }
  });
  source.onerror = () => onError(source.readyState === EventSource.CLOSED);
  return source;
}

export const api = {
  overview: () => request<Overview>('GET', '/api/v1/overview'),
  history: (minutes = 15) =>
    request<MetricsHistory>('GET', '/api/v1/metrics/history' + query({ minutes })),
  deadLetters: (f: { tenant_id?: string; entity_type?: string; error?: string; limit: number; offset: number }) =>
    request<Paged<DeadLetter>>('GET', '/api/v1/dead-letters' + query(f)),
  act: (action: OperatorAction, entries: { tenant_id: string; entry_id: string }[], detail?: string) =>
    request<ActionResponse>('POST', '/api/v1/dead-letters/actions', { action, entries, detail }),
  conflicts: (f: { tenant_id?: string; status?: string; limit: number; offset: number }) =>
    request<Paged<Conflict>>('GET', '/api/v1/conflicts' + query(f)),
  resolve: (id: number, resolution: ResolveAction) =>
    request<ResolveResponse>('POST', `/api/v1/conflicts/${id}/resolve`, { resolution }),
  tenants: () => request<{ items: TenantSummary[] }>('GET', '/api/v1/tenants'),
  entities: (tenant: string, f: { q?: string; entity_type?: string; limit: number; offset: number }) =>
    request<Paged<EntitySummary> & { tenant_id: string }>(
      'GET',
      `/api/v1/tenants/${enc(tenant)}/entities` + query(f),
    ),
  entity: (tenant: string, type: string, id: string) =>
    request<EntityDetail>('GET', `/api/v1/tenants/${enc(tenant)}/entities/${enc(type)}/${enc(id)}`),
  timeline: (tenant: string, entry: string) =>
    request<EntryTimeline>('GET', `/api/v1/entries/${enc(tenant)}/${enc(entry)}/timeline`),
};

export const ENTITY_TYPES = [
  'Account',
  'AccountGroup',
  'Category',
  'CategoryGroup',
  'Recipient',
  'Tag',
  'AutomationRule',
  'PlanningTransaction',
  'Transaction',
];
