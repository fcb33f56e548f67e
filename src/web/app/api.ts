/**
 * The dashboard's only way to the gateway: the REST API with the key in the
 * X-API-Key header. The key lives in sessionStorage (gone when the tab closes)
 * and is never put in a URL, so it cannot leak through history, logs or a
 * Referer. That is also why the quote stream is read with fetch rather than
 * EventSource, which cannot send headers.
 */
import type { ApiKeyInfo, ErrorBody, Quote, Scope, SymbolFailure } from './types.js';

const KEY_STORAGE = 'ibkr-gateway.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly correlationId: string | null,
  ) {
    super(message);
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

/** Called on a 401 from any request: the key was revoked or the server restarted with other keys. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** For the streams, which read their own responses: a 401 signs out as any call's does. */
export function reportUnauthorized(): void {
  onUnauthorized();
}

export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH';
  body?: unknown;
  headers?: Record<string, string>;
  /** Use this key instead of the stored one (sign-in probes a key before keeping it). */
  key?: string;
  signal?: AbortSignal;
}

/** One API call: JSON in, JSON out, any failure as an ApiError with the API's code and message. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const key = options.key ?? storedKey();
  // X-Client labels the audit rows of these calls as coming from the dashboard.
  const headers: Record<string, string> = { accept: 'application/json', 'x-client': 'dashboard', ...options.headers };
  if (key !== null) headers['x-api-key'] = key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'The gateway cannot be reached', undefined, null);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // A proxy's HTML error page, for instance: reported below by status.
  }
  if (!response.ok) {
    if (response.status === 401 && options.key === undefined) onUnauthorized();
    if (isErrorBody(parsed)) throw new ApiError(response.status, parsed.error.code, parsed.error.message, parsed.error.details, parsed.correlationId);
    throw new ApiError(response.status, `HTTP_${response.status}`, response.statusText || 'Request failed', undefined, null);
  }
  return parsed as T;
}

/**
 * What a key may do, from GET /api/me (its name and hierarchical scopes). A
 * 401 means the key is wrong; nothing else is probed or sent.
 */
export async function whoAmI(key: string): Promise<{ name: string; scopes: Set<Scope> }> {
  const me = await api<ApiKeyInfo>('/api/me', { key });
  return { name: me.name, scopes: new Set(me.scopes.filter((s): s is Scope => s === 'read' || s === 'trade' || s === 'admin' || s === 'approve')) };
}

/**
 * Reads the SSE quote stream until `signal` aborts, reconnecting after a drop
 * (server restart, network) with a growing pause. `onState` reports whether
 * quotes are flowing, for the watchlist's indicator.
 */
export interface StreamHandlers {
  quote: (quote: Quote) => void;
  /** A symbol of the list that the gateway cannot stream (event: symbol-error); the others stream on. */
  symbolError: (failure: SymbolFailure) => void;
  state: (state: 'live' | 'reconnecting' | 'error', message?: string) => void;
}

export function streamQuotes(symbols: string[], handlers: StreamHandlers, signal: AbortSignal): void {
  const { quote: onQuote, symbolError: onSymbolError, state: onState } = handlers;
  let delay = 1000;
  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      const key = storedKey();
      if (key === null) return;
      try {
        const response = await fetch(`/api/market/stream?symbols=${encodeURIComponent(symbols.join(','))}`, {
          headers: { 'x-api-key': key, accept: 'text/event-stream' },
          signal,
          cache: 'no-store',
        });
        if (!response.ok || response.body === null) {
          const body: unknown = await response.json().catch(() => null);
          const message = isErrorBody(body) ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
          if (response.status === 401) onUnauthorized();
          // A 4xx will not get better by retrying (unknown symbol, missing scope).
          if (response.status >= 400 && response.status < 500 && response.status !== 429) return onState('error', message);
          throw new Error(message);
        }
        onState('live');
        delay = 1000;
        await readEvents(response.body, (event, data) => {
          if (event === 'quote') onQuote(JSON.parse(data) as Quote);
          else if (event === 'symbol-error') onSymbolError(JSON.parse(data) as SymbolFailure);
        });
        // The server ended the stream (restart, shutdown): quotes stop, so say so before retrying.
        if (!signal.aborted) throw new Error('The quote stream ended');
      } catch (err) {
        if (signal.aborted) return;
        onState('reconnecting', err instanceof Error ? err.message : undefined);
      }
      if (signal.aborted) return;
      onState('reconnecting');
      await new Promise((r) => window.setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
}

/**
 * Splits a text/event-stream body into (event, data, id) triples; comments
 * (heartbeats) are skipped, but every chunk calls `onChunk`, so a reader can
 * tell a quiet stream from a dead one.
 */
export async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: string, id: string | null) => void, onChunk: () => void = () => undefined): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onChunk();
    // stream: true keeps a multi-byte character split across chunks intact.
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      let id: string | null = null;
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        else if (line.startsWith('id:')) id = line.slice(3).trim();
      }
      if (data.length > 0) onEvent(event, data.join('\n'), id);
    }
  }
}
