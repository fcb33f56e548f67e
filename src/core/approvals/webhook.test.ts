/**
 * The approval webhook against a real HTTP receiver on loopback: it checks
 * the signature as a user's receiver would, fails the first deliveries, and
 * the notifier retries with back-off until one succeeds.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging.js';
import type { Approval } from '../models.js';
import { createWebhookNotifier, signWebhook } from './webhook.js';

const SECRET = 'receiver-shared-secret-1';

interface Received {
  at: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  signatureValid: boolean;
}

/** A receiver like the README's: recomputes the HMAC over timestamp + '.' + body and answers with the given statuses in turn. */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(req.headers['x-gateway-timestamp'] ?? '');
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-gateway-signature'] ?? ''));
      received.push({ at: Date.now(), headers: req.headers, body, signatureValid: given.length === expected.length && timingSafeEqual(given, expected) });
      res.statusCode = statuses[received.length - 1] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

const approval = { approvalId: 'APR-0123456789ab', state: 'PENDING', spec: { symbol: 'AAPL' } } as unknown as Approval;

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  servers = [];
});

describe('approval webhook', () => {
  it('signs the body with HMAC-SHA256 over timestamp.body and retries with growing waits until the receiver accepts', async () => {
    const r = await receiver([503, 500, 200]);
    servers.push(r.server);
    const notifier = createWebhookNotifier({ url: r.url, secret: SECRET, logger: silentLogger(), retryDelaysMs: [50, 150, 400] });
    notifier.notify({ event: 'approval.requested', approval, correlationId: 'corr-1' });
    await notifier.idle();

    expect(r.received).toHaveLength(3);
    expect(r.received.every((x) => x.signatureValid)).toBe(true);
    // One delivery id for every attempt of one event, so the receiver can deduplicate.
    expect(new Set(r.received.map((x) => x.headers['x-gateway-delivery'])).size).toBe(1);
    expect(r.received[0]?.headers['x-gateway-event']).toBe('approval.requested');
    const [first, second, third] = r.received.map((x) => x.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(45);
    expect(third - second).toBeGreaterThanOrEqual(145);
    expect(JSON.parse(r.received[2]?.body ?? '{}')).toMatchObject({ event: 'approval.requested', correlationId: 'corr-1', approval: { approvalId: 'APR-0123456789ab' } });
    notifier.close();
  });

  it('a forged or altered body does not verify', () => {
    const body = JSON.stringify({ event: 'approval.approved' });
    const signature = signWebhook(SECRET, '2026-12-02T19:00:00.000Z', body);
    expect(signWebhook(SECRET, '2026-12-02T19:00:00.000Z', body.replace('approved', 'rejected'))).not.toBe(signature);
    expect(signWebhook('another-secret-123', '2026-12-02T19:00:00.000Z', body)).not.toBe(signature);
    expect(signWebhook(SECRET, '2026-12-02T19:00:01.000Z', body)).not.toBe(signature);
  });

  it('does not retry a receiver that refuses with a 4xx, and gives up after the last back-off', async () => {
    const refusing = await receiver([400]);
    const failing = await receiver([500, 500, 500, 500]);
    servers.push(refusing.server, failing.server);
    const a = createWebhookNotifier({ url: refusing.url, secret: SECRET, logger: silentLogger(), retryDelaysMs: [10, 10] });
    const b = createWebhookNotifier({ url: failing.url, secret: SECRET, logger: silentLogger(), retryDelaysMs: [10, 10] });
    a.notify({ event: 'approval.rejected', approval, correlationId: 'c' });
    b.notify({ event: 'approval.expired', approval, correlationId: 'c' });
    await Promise.all([a.idle(), b.idle()]);
    expect(refusing.received).toHaveLength(1);
    expect(failing.received).toHaveLength(3);
  });

  it('never blocks the caller: notify returns before the receiver has answered, even when it is unreachable', async () => {
    const notifier = createWebhookNotifier({ url: 'http://127.0.0.1:9/hook', secret: SECRET, logger: silentLogger(), retryDelaysMs: [60_000] });
    const started = performance.now();
    notifier.notify({ event: 'approval.requested', approval, correlationId: 'c' });
    expect(performance.now() - started).toBeLessThan(50);
    notifier.close();
    await notifier.idle();
  });
});
