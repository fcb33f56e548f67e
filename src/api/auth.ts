/**
 * API key authentication and scopes.
 *
 * A key arrives as `X-API-Key: KEY` or `Authorization: Bearer KEY`. Keys are
 * compared as SHA-256 digests with timingSafeEqual: the digests always have
 * the same length, so neither the key's length nor the position of the first
 * differing byte shows in the response time, and every configured key is
 * compared so the matching key's position does not show either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ApiKey, ApiScope } from '../core/config.js';
import { GatewayError } from '../core/errors.js';

interface StoredKey {
  name: string;
  digest: Buffer;
  scopes: ReadonlySet<ApiScope>;
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The key the request presents, or null. */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  return null;
}

/** An onRequest hook: routes whose config names a scope need a key that holds it. */
export function createAuthHook(keys: readonly ApiKey[]) {
  const stored: StoredKey[] = keys.map((k) => ({ name: k.name, digest: digest(k.key), scopes: k.scopes }));
  return function authenticate(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    request.apiKeyName = null;
    request.apiKeyScopes = null;
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return done();
    const presented = presentedKey(request);
    if (presented === null) return done(new GatewayError('UNAUTHORIZED', 'An API key is required: send X-API-Key: <key> or Authorization: Bearer <key>'));
    const given = digest(presented);
    let found: StoredKey | null = null;
    for (const key of stored) {
      if (timingSafeEqual(key.digest, given) && found === null) found = key;
    }
    if (found === null) return done(new GatewayError('UNAUTHORIZED', 'The API key is not valid'));
    request.apiKeyName = found.name;
    request.apiKeyScopes = found.scopes;
    if (!found.scopes.has(scope)) {
      return done(new GatewayError('FORBIDDEN', `This API key lacks the ${scope} scope`, { required: scope, granted: [...found.scopes] }));
    }
    done();
  };
}
