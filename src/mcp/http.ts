/**
 * The MCP server's only way to reach the gateway: one fresh HTTP request to
 * the REST API per call. Keeping MCP a REST client (rather than calling the
 * core in-process) means an agent's order passes the very same auth, scopes,
 * gates, risk limits, idempotency and audit as every other client.
 *
 * Every request carries a deadline (AbortSignal.timeout) so a gateway that is
 * down, hung or slow turns into a clear tool error in bounded time instead of
 * a tool call the agent waits on forever.
 */
import type { z } from 'zod';
import { ErrorBody } from '../core/models.js';

/** Default deadline for one REST call; long enough for a broker what-if, short enough for an agent. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Failures that happen before the gateway could answer with an ErrorBody.
 * They are MCP-side codes, not catalogue codes: the gateway never sends them.
 */
export const TRANSPORT_ERRORS = {
  API_UNREACHABLE: 'The ibkr-gateway REST API could not be reached (not running, wrong MCP_API_URL, or refused the connection).',
  API_TIMEOUT: 'The ibkr-gateway REST API did not answer within the deadline.',
  API_BAD_RESPONSE: 'The ibkr-gateway REST API answered with something that is not the expected shape.',
} as const;
export type TransportErrorCode = keyof typeof TRANSPORT_ERRORS;

/** A failed REST call: the gateway's own error code, or a transport code above. */
export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null,
    readonly details: unknown = undefined,
    readonly correlationId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export interface ApiConnection {
  /** Base URL of the REST API, e.g. http://127.0.0.1:8000 (a trailing slash is fine). */
  apiUrl: string;
  /** Sent as X-API-Key; null sends no key (the gateway then answers UNAUTHORIZED). */
  apiKey: string | null;
  /** Deadline per REST call in ms (default 10 s). */
  timeoutMs?: number;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
}

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Aborts the request when the MCP client cancels the tool call. */
  signal?: AbortSignal;
}

export interface ApiCaller {
  /** Performs the request and parses a 2xx body with `schema`; any failure throws ApiCallError. */
  request<S extends z.ZodType>(schema: S, spec: RequestSpec): Promise<z.output<S>>;
}

export function createApiCaller(connection: ApiConnection): ApiCaller {
  const base = connection.apiUrl.replace(/\/+$/, '');
  const timeoutMs = connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = connection.fetch ?? fetch;

  return {
    async request(schema, spec) {
      const url = new URL(base + spec.path);
      for (const [name, value] of Object.entries(spec.query ?? {})) {
        if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
      }
      // X-Client labels the audit rows of these calls as coming through MCP.
      const headers: Record<string, string> = { accept: 'application/json', 'x-client': 'mcp', ...spec.headers };
      if (connection.apiKey !== null) headers['x-api-key'] = connection.apiKey;
      if (spec.body !== undefined) headers['content-type'] = 'application/json';

      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = spec.signal ? AbortSignal.any([deadline, spec.signal]) : deadline;

      let response: Response;
      let text: string;
      try {
        response = await doFetch(url, {
          method: spec.method,
          headers,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal,
        });
        // The body read is inside the deadline too: a gateway that sends headers and then stalls is still "slow".
        text = await response.text();
      } catch (err) {
        throw transportError(err, deadline, timeoutMs, base);
      }

      const json = parseJson(text);
      if (!response.ok) {
        const body = ErrorBody.safeParse(json);
        if (body.success) {
          const e = body.data;
          throw new ApiCallError(e.error.code, e.error.message, response.status, e.error.details, e.correlationId);
        }
        // A proxy, a crashed process or an unrelated server on that port: say what came back.
        throw new ApiCallError('API_BAD_RESPONSE', `HTTP ${response.status} from ${base}${spec.path} without a gateway error body: ${text.slice(0, 200)}`, response.status);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        const where = first ? `${first.path.map(String).join('.') || '(root)'}: ${first.message}` : 'unexpected shape';
        throw new ApiCallError('API_BAD_RESPONSE', `Unexpected response from ${spec.method} ${spec.path} (${where}); is MCP_API_URL an ibkr-gateway of the same version?`, response.status);
      }
      return parsed.data;
    },
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function transportError(err: unknown, deadline: AbortSignal, timeoutMs: number, base: string): ApiCallError {
  if (deadline.aborted) {
    return new ApiCallError('API_TIMEOUT', `No answer from the gateway at ${base} within ${timeoutMs} ms`, null);
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new ApiCallError('API_UNREACHABLE', 'The request was cancelled by the MCP client', null);
  }
  // undici reports "fetch failed" with the socket error (ECONNREFUSED, ENOTFOUND, ...) as the cause.
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : null;
  const causeCode = cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
  const detail = causeCode ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new ApiCallError('API_UNREACHABLE', `Cannot reach the gateway at ${base} (${detail})`, null);
}
