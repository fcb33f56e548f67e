/**
 * `approvals`, `approve`, `reject` from the built command against a running
 * gateway (a real REST server on loopback in live mode): the CLI picks the
 * configured key with the approve scope, approves an agent's held order with
 * the spec hash it showed, and rejects another with a reason.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Approval, ApprovalDecision, type OrderResult } from '../core/models.js';
import { call, startTestServer, type TestServer } from '../testing/api-harness.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const AGENT = 'cliagentkey123';
const API_KEYS = `agent=${AGENT}:read+trade+agent,ops=cliopskey1234:admin,alice=clialicekey12:approve`;
let s: TestServer;

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '', HOME: tmpdir(), DATA_DIR: s.dataDir, LOG_LEVEL: 'silent', IBKR_GATEWAY_URL: s.url, API_KEYS };
    const child = execFile(process.execPath, [MAIN, ...args], { env, cwd: s.dataDir, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });

describe.skipIf(!existsSync(MAIN))('ibkr-gateway approvals / approve / reject (needs `npm run build`)', () => {
  beforeAll(async () => {
    const override = join(mkdtempSync(join(tmpdir(), 'cli-approvals-')), 'live-ok');
    writeFileSync(override, 'yes');
    s = await startTestServer({ TRADING_MODE: 'live', SIM_ACCOUNT_ID: 'U4567890', LIVE_TRADING_OVERRIDE_FILE: override, API_KEYS });
  });
  afterAll(async () => s?.close());

  it('lists the held orders, approves one (as alice, not the admin key) and rejects another', async () => {
    const place = async (quantity: number) => (await call<OrderResult>(s.url, '/api/orders/place', { key: AGENT, body: { symbol: 'AAPL', action: 'BUY', quantity, orderType: 'MKT' } })).body.orderId;
    const first = await place(2);
    const second = await place(3);

    const listed = await run(['approvals', '--json']);
    expect(listed.stderr).toBe('');
    expect(Approval.array().parse(JSON.parse(listed.stdout)).map((a) => a.approvalId).sort()).toEqual([first, second].sort());

    const unconfirmed = await run(['approve', first]);
    expect([unconfirmed.code, unconfirmed.stderr]).toEqual([2, expect.stringContaining('--yes')]);

    const approved = await run(['approve', first, '--yes', '--reason', 'checked by phone', '--json']);
    expect(approved.stderr).toBe('');
    const decision = ApprovalDecision.parse(JSON.parse(approved.stdout));
    expect(decision.approval).toMatchObject({ state: 'APPROVED', decidedBy: 'key:alice', decisionReason: 'checked by phone' });
    expect(decision.order?.orderId).toMatch(/^\d+$/);

    const noReason = await run(['reject', second]);
    expect([noReason.code, noReason.stderr]).toEqual([2, expect.stringContaining('--reason')]);
    const rejected = await run(['reject', second, '--reason', 'not now']);
    expect([rejected.code, rejected.stdout]).toEqual([0, expect.stringContaining(`${second} REJECTED`)]);
    expect(JSON.parse((await run(['approvals', '--json'])).stdout)).toEqual([]);
  });
});
