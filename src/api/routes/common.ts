/**
 * Pieces every route module uses: the error responses each route documents,
 * and the security requirement that goes with a scope.
 */
import { ErrorBody } from '../../core/models.js';
import type { ApiScope } from '../../core/config.js';

/** Documented on every route; the error handler answers with this shape. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** The OpenAPI security schemes (see openapi.ts): either header works. */
export const SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];

const SCOPE_NOTE: Record<ApiScope, string> = {
  read: 'Needs an API key with the read scope (or trade, admin or approve).',
  trade: 'Needs an API key with the trade scope (or admin).',
  admin: 'Needs an API key with the admin scope.',
  approve: 'Needs an API key with the approve scope, other than the key that placed the order (four eyes).',
};

/**
 * Route options for a route that needs `scope` (the auth hook reads config.scope),
 * with the route's own schemas merged in so the type provider still sees them.
 */
export function secured<S extends object>(scope: ApiScope, tag: string, summary: string, schema: S) {
  return {
    config: { scope },
    schema: { tags: [tag], summary, description: SCOPE_NOTE[scope], security: SECURITY, ...schema },
  };
}
