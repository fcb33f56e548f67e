import type { FastifyReply } from 'fastify';

/**
 * Headers every response carries, set in the request hook (request-hook.ts) so that errors, 404s, the
 * hijacked quote stream and /docs all get them. The CSP allows only our own
 * origin, which is what Swagger UI (/docs) and the dashboard need: no inline
 * script anywhere, inline styles only because both position elements with
 * style attributes. JSON responses are not rendered, but a browser that is
 * tricked into rendering one gets the same locked-down policy.
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

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // frame-ancestors for current browsers, X-Frame-Options for the rest.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The same as one flat name, value, name, value... list: the request hook's indexed loop allocates no iterator or pair per request. */
export const SECURITY_HEADER_LIST: readonly string[] = Object.freeze(Object.entries(SECURITY_HEADERS).flat());

/** Sets the security headers on `reply`: the request hook does it for every routed request, frameworkErrors for the rest. */
export function setSecurityHeaders(reply: FastifyReply): void {
  for (let i = 0; i < SECURITY_HEADER_LIST.length; i += 2) void reply.header(SECURITY_HEADER_LIST[i] as string, SECURITY_HEADER_LIST[i + 1]);
}
