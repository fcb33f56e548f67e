/**
 * API key authentication and scopes.
 *
 * A key arrives as `X-API-Key: KEY` or `Authorization: Bearer KEY`. A right
 * key is recognised by a map lookup of the string presented (no hashing per
 * request; why that leaks nothing is beside the map); anything else is
 * compared as SHA-256 digests with timingSafeEqual: the digests always have
 * the same length, so neither the key's length nor the position of the first
 * differing byte shows in the response time, and every configured key is
 * compared so the matching key's position does not show either.
 *
 * Scopes are hierarchical (scopes.ts). Wrong keys are throttled per client
 * address (auth-throttle.ts) and counted in metrics.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyContextConfig, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from '../core/prom.js';
import type { ApiKey, ApiScope } from '../core/config.js';
import { GatewayError, RateLimitedError } from '../core/errors.js';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
import { newRateWindow, type RateWindow } from './rate-limit.js';
import { effectiveScopes, lacksScopeMessage, SCOPE_RULE, scopeList } from './scopes.js';

interface StoredKey {
  name: string;
  digest: Buffer;
  scopes: ReadonlySet<ApiScope>;
}

// One-shot hash: no Hash object per request.
const digest = (key: string): Buffer => hash('sha256', key, 'buffer');

/** The key the request presents, or null. */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') {
    const key = header.trim();
    if (key !== '') return key;
  }
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  return null;
}

/** The counters a registry holds once, however many servers are built on one client. */
function counter(registry: Registry, name: string, help: string): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter;
  return new Counter({ name, help, registers: [registry] });
}

export interface AuthOptions {
  keys: readonly ApiKey[];
  registry: Registry;
  throttle?: Partial<AuthThrottleOptions>;
}

/** The key a request authenticated with; its rate window travels with it, so limiting it needs no lookup. */
export interface AuthenticatedKey {
  name: string;
  scopes: ReadonlySet<ApiScope>;
  window: RateWindow;
}

/** What authentication decided: a key, anonymous (null: public route, or optional key not given), or a refusal. */
export type AuthOutcome = AuthenticatedKey | null | GatewayError;

/**
 * Authentication for the request hook (request-hook.ts): routes whose config
 * names a scope need a key that holds it; with `optionalKey` a request without
 * any key passes anonymously (the handler then shows less), while a presented
 * key is still checked. Sets request.apiKeyName / apiKeyScopes.
 */
export function createAuthenticator(options: AuthOptions): (request: FastifyRequest, reply: FastifyReply, route: FastifyContextConfig) => AuthOutcome {
  const stored: Array<StoredKey & AuthenticatedKey> = options.keys.map((k) => ({ name: k.name, digest: digest(k.key), scopes: effectiveScopes(k.scopes), window: newRateWindow() }));
  // A right key is found by its string, without hashing it again on every request (SHA-256 of the key was
  // ~3% of a quote request's CPU). This keeps the timing property the digests give: Map.get hashes the
  // *presented* string (time depends only on what the caller sent) and compares contents only with an entry
  // whose hash and length both match, which a caller cannot aim for without knowing the key; and a string
  // that is not a configured key still goes through every digest comparison below, so wrong keys cost the
  // same whatever they share with a right one. The first of two identical keys wins, as in the loop.
  const byString = new Map<string, StoredKey & AuthenticatedKey>();
  options.keys.forEach((k, i) => {
    const entry = stored[i];
    if (entry !== undefined && !byString.has(k.key)) byString.set(k.key, entry);
  });
  const throttle = new AuthThrottle(options.throttle);
  const failures = counter(options.registry, 'ibkr_gateway_auth_failures_total', 'Requests refused 401 because the API key presented is not valid');
  const throttled = counter(options.registry, 'ibkr_gateway_auth_throttled_total', 'Requests refused 429 because their address is backing off after failed authentication');

  const backOff = (ms: number): RateLimitedError => {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return new RateLimitedError(
      `Too many wrong API keys from this address: every request with a key is refused for ${seconds} s (right keys too, so the wait tells a guesser nothing)`,
      seconds,
      'AUTH_RATE_LIMITED',
    );
  };

  /** `route`: the route's config (request.routeOptions.config, which the request hook reads once). */
  return function authenticate(request: FastifyRequest, reply: FastifyReply, route: FastifyContextConfig): AuthOutcome {
    const { scope, optionalKey } = route;
    if (scope === undefined) return null;
    const presented = presentedKey(request);
    if (presented === null) {
      if (optionalKey === true) return null;
      return new GatewayError('UNAUTHORIZED', 'An API key is required: send X-API-Key: <key> or Authorization: Bearer <key>');
    }
    // No address has a wrong key on record (the usual case): nothing to look up or forgive, and the
    // address is read only if this key turns out wrong.
    const address = throttle.size > 0 ? request.ip : null;
    if (address !== null) {
      const wait = throttle.blockedFor(address);
      if (wait > 0) {
        throttled.inc();
        void reply.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
        return backOff(wait);
      }
    }
    let found: (StoredKey & AuthenticatedKey) | null = byString.get(presented) ?? null;
    if (found === null) {
      const given = digest(presented);
      for (const key of stored) {
        if (timingSafeEqual(key.digest, given) && found === null) found = key;
      }
    }
    if (found === null) {
      failures.inc();
      const blocked = throttle.recordFailure(address ?? request.ip);
      if (blocked > 0) {
        throttled.inc();
        void reply.header('retry-after', String(Math.max(1, Math.ceil(blocked / 1000))));
        return backOff(blocked);
      }
      return new GatewayError('UNAUTHORIZED', 'The API key is not valid: use a key from API_KEYS, or, when API_KEYS is unset, the generated key in DATA_DIR/api-key (setting API_KEYS turns the generated key off)');
    }
    if (address !== null) throttle.recordSuccess(address);
    request.apiKeyName = found.name;
    request.apiKeyScopes = found.scopes;
    if (!found.scopes.has(scope)) {
      return new GatewayError('FORBIDDEN', lacksScopeMessage(scope), { required: scope, granted: scopeList(found.scopes), rule: SCOPE_RULE });
    }
    return found;
  };
}
