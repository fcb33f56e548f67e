/**
 * Scopes are hierarchical: admin includes trade, trade includes read. A key
 * configured as `admin` alone may therefore read quotes and engage the kill
 * switch. The hierarchy is applied once, when a key authenticates, so every
 * route, the 403 text, GET /api/me and the MCP hints all say the same thing.
 */
import type { ApiScope } from '../core/config.js';

/** Lowest to highest: each scope includes every scope before it. */
export const SCOPE_ORDER: readonly ApiScope[] = ['read', 'trade', 'admin'];

/** The one sentence every 403 and hint uses. */
export const SCOPE_RULE = 'Scopes are hierarchical: admin includes trade, trade includes read; approve stands apart and includes read.';

/** What a key configured with `granted` may do: its scopes and every scope below them. */
export function effectiveScopes(granted: Iterable<ApiScope>): ReadonlySet<ApiScope> {
  let highest = -1;
  let approve = false;
  for (const scope of granted) {
    if (scope === 'approve') approve = true;
    else highest = Math.max(highest, SCOPE_ORDER.indexOf(scope));
  }
  // An approver must see the order, its quote and its risk checks: approve includes read.
  if (approve) highest = Math.max(highest, 0);
  const scopes = new Set<ApiScope>(SCOPE_ORDER.slice(0, highest + 1));
  if (approve) scopes.add('approve');
  return scopes;
}

/** The scopes in hierarchy order (approve last), for output. */
export const scopeList = (scopes: ReadonlySet<ApiScope>): ApiScope[] => [...SCOPE_ORDER, 'approve' as const].filter((s) => scopes.has(s));

/** The 403 message for a key that lacks `required`. */
export function lacksScopeMessage(required: ApiScope): string {
  if (required === 'approve') return `This API key lacks the approve scope: deciding pending approvals needs a key with approve (which never decides its own orders). ${SCOPE_RULE}`;
  const holders = SCOPE_ORDER.slice(SCOPE_ORDER.indexOf(required)).join(' or ');
  return `This API key lacks the ${required} scope: the call needs a key with ${holders}. ${SCOPE_RULE}`;
}
