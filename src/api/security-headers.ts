import type { FastifyReply } from 'fastify';

/**
 * Security headers, set in the request hook (request-hook.ts) so that errors, the hijacked quote stream
 * and /docs all get them. Two sets, chosen by the route's URL pattern:
 *
 * - Pages (/docs, the dashboard, and anything not known to be an API answer, 404s included) get the full
 *   set. The CSP allows only our own origin, which is what Swagger UI and the dashboard need: no inline
 *   script anywhere, inline styles only because both position elements with style attributes.
 * - API answers (/api/..., /health, /metrics: JSON, Prometheus text, the quote stream's event stream) get
 *   the set OWASP's REST Security Cheat Sheet lists for every API response: `nosniff`, framing refused
 *   by X-Frame-Options and CSP `frame-ancestors 'none'` (drag-and-drop clickjacking). Their CSP is
 *   `default-src 'none'`: a browser that is made to render such an answer as a document may run and load
 *   nothing at all, which is stricter than the pages' policy, not looser. What they leave out, and why it
 *   protects nothing there: Referrer-Policy (a document that can load nothing sends no Referer), the
 *   cross-origin opener and resource policies (an answer is no window that opens another, and a
 *   cross-origin page cannot fetch one: every API route but /health's status needs an X-API-Key or
 *   Authorization header, which a no-cors request cannot carry, and browsers block nosniff JSON from
 *   no-cors reads anyway). Each header line costs the quote route a name and a value check in Node and
 *   bytes on the wire (bench/api.js, docs/performance.md).
 *
 * A route that serves HTML must not sit under /api/: it would get the API set, whose CSP blocks its scripts
 * and styles (it fails closed, but the page breaks).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The policy of an API answer: nothing may run or load, nothing may frame it. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** The full set: pages, and every answer whose route is not known to be an API route. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // frame-ancestors for current browsers, X-Frame-Options for the rest.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** API answers' set (see above). */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': API_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** A set as one flat name, value, name, value... list: the request hook's indexed loop allocates no iterator or pair per request. */
export type HeaderList = readonly string[];
const flat = (headers: Readonly<Record<string, string>>): HeaderList => Object.freeze(Object.entries(headers).flat());
export const PAGE_HEADER_LIST: HeaderList = flat(SECURITY_HEADERS);
export const API_HEADER_LIST: HeaderList = flat(API_SECURITY_HEADERS);

/** Route patterns whose answers are API answers (JSON, Prometheus text, event streams), never a page. */
export const isApiRoute = (url: string | undefined): boolean => url !== undefined && (url.startsWith('/api/') || url === '/health' || url === '/metrics');

/** The set for a route pattern (undefined: no route matched, e.g. a 404): pages' unless it is an API route. */
export const securityHeadersFor = (url: string | undefined): HeaderList => (isApiRoute(url) ? API_HEADER_LIST : PAGE_HEADER_LIST);

/** Sets a set of security headers on `reply` (default the full set): the request hook does it for every routed request, frameworkErrors for the rest. */
export function setSecurityHeaders(reply: FastifyReply, list: HeaderList = PAGE_HEADER_LIST): void {
  for (let i = 0; i < list.length; i += 2) void reply.header(list[i] as string, list[i + 1]);
}
