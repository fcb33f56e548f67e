/**
 * Approvals over REST, on a real socket: an agent key's order waits in live
 * mode, another key approves it and it is sent once; the placing key gets 403;
 * a replayed approval answers the same; the webhook reaches a real local
 * receiver with a valid signature; the order event stream carries the steps.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval, ApprovalDecision, OrderEvent, OrderResult } from '../core/models.js';
import { call, isErrorBody, sleep, startTestServer, type TestServer } from '../testing/api-harness.js';

const KEYS = { agent: 'agentkey12345', human: 'humankey12345', reader: 'readerkey1234' } as const;
const SECRET = 'approvals-webhook-secret';
const order = { symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'MKT' };

let server: TestServer;
let hook: Server;
const hooks: Array<{ event: string; body: { event: string; approval: Approval }; valid: boolean }> = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${String(req.headers['x-gateway-timestamp'])}.${body}`).digest('hex')}`;
      hooks.push({ event: String(req.headers['x-gateway-event']), body: JSON.parse(body) as (typeof hooks)[number]['body'], valid: expected === req.headers['x-gateway-signature'] });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const override = join(mkdtempSync(join(tmpdir(), 'approvals-api-')), 'live-ok');
  writeFileSync(override, 'yes');
  server = await startTestServer({
    TRADING_MODE: 'live',
    SIM_ACCOUNT_ID: 'U2345678',
    LIVE_TRADING_OVERRIDE_FILE: override,
    // The agent's key holds approve too (a misconfiguration): four eyes still stops it approving its own order.
    API_KEYS: `agent=${KEYS.agent}:read+trade+approve+agent,human=${KEYS.human}:read+trade+approve,reader=${KEYS.reader}:read`,
    APPROVAL_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
    APPROVAL_WEBHOOK_SECRET: SECRET,
  });
});

afterAll(async () => {
  await server.close();
  await new Promise((r) => hook.close(r));
});

async function waitForHook(event: string): Promise<(typeof hooks)[number]> {
  for (let i = 0; i < 200; i++) {
    const found = hooks.find((h) => h.event === event);
    if (found) return found;
    await sleep(10);
  }
  throw new Error(`no ${event} webhook arrived`);
}

describe('approvals over REST', () => {
  it('holds an agent order, refuses its own key and a read key, and sends it once when another key approves', async () => {
    const placed = await call<OrderResult>(server.url, '/api/orders/place', { key: KEYS.agent, body: order });
    expect(placed.status).toBe(200);
    expect(placed.body.status).toBe('PENDING_APPROVAL');
    const id = placed.body.orderId;

    const requested = await waitForHook('approval.requested');
    expect(requested.valid).toBe(true);
    expect(requested.body.approval).toMatchObject({ approvalId: id, state: 'PENDING', requestedBy: 'key:agent' });

    const list = await call<Approval[]>(server.url, '/api/approvals', { key: KEYS.reader });
    expect(list.body.map((a) => a.approvalId)).toEqual([id]);

    const own = await call(server.url, `/api/approvals/${id}/approve`, { key: KEYS.agent, body: {} });
    expect(own.status).toBe(403);
    const reader = await call(server.url, `/api/approvals/${id}/approve`, { key: KEYS.reader, body: {} });
    expect(reader.status).toBe(403);
    expect(isErrorBody(reader.body) && reader.body.error.code).toBe('FORBIDDEN');
    expect(isErrorBody(own.body) && own.body.error.code).toBe('APPROVAL_OWN_ORDER');

    const wrongHash = await call(server.url, `/api/approvals/${id}/approve`, { key: KEYS.human, body: { specHash: 'deadbeefdeadbeef' } });
    expect(wrongHash.status).toBe(409);
    expect(isErrorBody(wrongHash.body) && wrongHash.body.error.code).toBe('APPROVAL_SPEC_MISMATCH');

    const [approveA, approveB] = await Promise.all([
      call<ApprovalDecision>(server.url, `/api/approvals/${id}/approve`, { key: KEYS.human, body: { specHash: list.body[0]?.specHash, reason: 'ok' } }),
      call<ApprovalDecision>(server.url, `/api/approvals/${id}/approve`, { key: KEYS.human, body: { specHash: list.body[0]?.specHash, reason: 'ok' } }),
    ]);
    // Two approvals racing: one sends, the other answers with that decision or "in progress"; never two orders.
    const ok = [approveA, approveB].filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of [approveA, approveB]) if (r.status !== 200) expect(isErrorBody(r.body) && r.body.error.code).toBe('APPROVAL_IN_PROGRESS');
    const sentIds = new Set(ok.map((r) => r.body.order?.orderId));
    expect(sentIds.size).toBe(1);

    const replay = await call<ApprovalDecision>(server.url, `/api/approvals/${id}/approve`, { key: KEYS.human, body: {} });
    expect(replay.status).toBe(200);
    expect(replay.body.idempotentReplay).toBe(true);
    expect(replay.body.order?.orderId).toBe([...sentIds][0]);

    const submitted = (await server.client.queryAudit({ eventType: 'ORDER_SUBMITTED' })).entries;
    expect(submitted.map((e) => e.orderId)).toEqual([...sentIds]);

    const approved = await waitForHook('approval.approved');
    expect(approved.valid).toBe(true);
    expect(approved.body.approval).toMatchObject({ state: 'APPROVED', decidedBy: 'key:human', orderId: [...sentIds][0] });

    const events = await call<OrderEvent[]>(server.url, '/api/orders/events?afterSequence=0', { key: KEYS.reader });
    const steps = events.body.filter((e) => e.orderId === id).map((e) => `${e.kind}:${e.status}:${e.auditEventType}`);
    expect(steps).toEqual(['NEW:PENDING_APPROVAL:APPROVAL_PENDING', 'STATUS:APPROVED:APPROVAL_APPROVED']);
  });

  it('rejects with a reason (required) and tells the webhook', async () => {
    const placed = await call<OrderResult>(server.url, '/api/orders/place', { key: KEYS.agent, body: { ...order, quantity: 6 } });
    const id = placed.body.orderId;
    const noReason = await call(server.url, `/api/approvals/${id}/reject`, { key: KEYS.human, body: {} });
    expect(noReason.status).toBe(422);
    const rejected = await call<ApprovalDecision>(server.url, `/api/approvals/${id}/reject`, { key: KEYS.human, body: { reason: 'too big for today' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body.approval).toMatchObject({ state: 'REJECTED', decisionReason: 'too big for today' });
    const hookRejected = await waitForHook('approval.rejected');
    expect(hookRejected.body.approval.approvalId).toBe(id);
    const again = await call(server.url, `/api/approvals/${id}/approve`, { key: KEYS.human, body: {} });
    expect(again.status).toBe(409);
    expect(isErrorBody(again.body) && again.body.error.code).toBe('APPROVAL_DECIDED');
    const missing = await call(server.url, '/api/approvals/APR-000000000000', { key: KEYS.reader });
    expect(missing.status).toBe(404);
  });
});
