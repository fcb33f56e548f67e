/**
 * `modify ORDER_ID` from the built command, as a script runs it: previewed,
 * refused without --yes when nobody can confirm, the order changed in place,
 * a finished order refused with exit 1, and the audit log intact afterwards.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModifyResult, OrderDetail, OrderResult, Quote } from '../core/models.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
let dataDir: string;

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '', HOME: tmpdir(), DATA_DIR: dataDir, SIM_SESSION: 'always-open', LOG_LEVEL: 'silent', ORDERS_ENABLED: 'true' };
    const child = execFile(process.execPath, [MAIN, ...args], { env, cwd: dataDir, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });

describe.skipIf(!existsSync(MAIN))('ibkr-gateway modify (needs `npm run build`)', () => {
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibkr-cli-modify-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('changes a resting order in place with --yes, refuses without it, and refuses a cancelled order', async () => {
    const quote = Quote.array().parse(JSON.parse((await run(['quote', 'AAPL', '--json'])).stdout))[0];
    const limit = Math.round((quote?.bid ?? 100) * 0.95 * 100) / 100;
    const placed = OrderResult.parse(JSON.parse((await run(['place', 'BUY', '5', 'AAPL', '--order-type', 'LMT', '--limit', String(limit), '--tif', 'GTC', '--yes', '--json'])).stdout));

    const unconfirmed = await run(['modify', placed.orderId, '--quantity', '3']);
    expect([unconfirmed.code, unconfirmed.stderr]).toEqual([2, expect.stringContaining('--yes')]);

    const lower = Math.round((limit - 1) * 100) / 100;
    const modified = await run(['modify', placed.orderId, '--quantity', '3', '--limit', String(lower), '--yes', '--json']);
    expect(modified.stderr).toBe('');
    expect(ModifyResult.parse(JSON.parse(modified.stdout))).toMatchObject({ orderId: placed.orderId, modified: true, spec: { quantity: 3, limitPrice: lower }, previous: { quantity: 5 } });
    const open = OrderDetail.array().parse(JSON.parse((await run(['orders', '--status', 'open', '--json'])).stdout));
    expect(open.find((o) => o.orderId === placed.orderId)?.spec).toMatchObject({ quantity: 3, limitPrice: lower });

    const bad = await run(['modify', placed.orderId, '--quantity', 'many', '--yes']);
    expect(bad.code).toBe(2);

    await run(['cancel', placed.orderId]);
    const finished = await run(['modify', placed.orderId, '--quantity', '2', '--yes']);
    expect([finished.code, finished.stderr]).toEqual([1, expect.stringContaining('ORDER_NOT_MODIFIABLE')]);
    expect((await run(['audit', 'verify'])).code).toBe(0);
  });
});
