/**
 * A request's order context (forRequest): the client's parts, the request it
 * serves, and a logger whose lines carry that request's ids, once.
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore } from '../audit/types.js';
import { createLogger, type RequestContext } from '../logging.js';
import { auditRow, forRequest, requestOf, writeFor, type OrderContext } from './context.js';

const A: RequestContext = { correlationId: 'req-a', interface: 'rest', apiKeyName: 'desk' };
const B: RequestContext = { correlationId: 'req-b', interface: 'system', apiKeyName: null };

describe('forRequest', () => {
  it("shares the client's parts and stamps rows and writes with its own request", () => {
    const client = { audit: {} as AuditStore } as OrderContext;
    const request = forRequest(client, A);
    expect(request.audit).toBe(client.audit);
    expect(requestOf(request)).toBe(A);
    expect(auditRow(request, 'ORDER_PREVIEWED', {}, { accountId: null, orderId: null, snapshot: null })).toMatchObject({ correlationId: 'req-a', userContext: { interface: 'rest', apiKeyName: 'desk' } });
    expect(writeFor(request, { durability: 'relaxed' })).toEqual({ durability: 'relaxed', correlationId: 'req-a' });
    // The client's own context serves no request: a fresh library id each time.
    expect(requestOf(client)).toMatchObject({ interface: 'library', apiKeyName: null });
  });

  it("makes every request's context of one client the same way: one prototype, its request the only own key", () => {
    const client = { audit: {} as AuditStore } as OrderContext;
    const [a, b] = [forRequest(client, A), forRequest(client, B)];
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
    expect(Reflect.ownKeys(a)).toEqual(['request']);
    expect([requestOf(a), requestOf(b)]).toEqual([A, B]);
  });

  it("logs each line with its request's ids once, also for a context made from another request's", () => {
    const raw: string[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void raw.push(line) }, format: 'json' });
    const client = { logger } as OrderContext;
    const outer = forRequest(client, A);
    const inner = forRequest(outer, B);
    outer.logger.info('outer');
    inner.logger.info('inner');
    client.logger.info('client');
    const lines = raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.msg, l.correlationId, l.interface])).toEqual([
      ['outer', 'req-a', 'rest'],
      ['inner', 'req-b', 'system'],
      ['client', undefined, undefined],
    ]);
    for (const line of raw.slice(0, 2)) expect(line.match(/"correlationId"/g)).toHaveLength(1);
  });
});
