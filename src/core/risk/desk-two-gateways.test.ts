/**
 * Desk-wide gross exposure across two gateway processes on one PostgreSQL
 * database, one simulated account each, sharing one risk file: account A's
 * fill, published to the store, makes account B's order breach the desk
 * limit; and when A's gateway dies its last publication goes stale and counts
 * at A's own limit.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RiskCheck } from '../models.js';
import { openPostgresStore } from '../audit/postgres/store.js';
import type { ExposurePublication } from '../audit/types.js';
import { startTestPostgres, type TestPostgres } from '../../testing/postgres.js';
import { DESK_HMAC, GATEWAY_MAIN, GatewayFleet, rest } from '../../testing/gateway-process.js';

const A = 'DU1111111';
const B = 'DU2222222';
const DESK_LIMIT = 100_000;

let server: TestPostgres;
const fleet = new GatewayFleet();
const dirs: string[] = [];
const tempDirFor = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

async function publications(url: string): Promise<ExposurePublication[]> {
  const store = await openPostgresStore({ url, dataDir: tempDirFor('ibkr-desk-read-'), hmacKey: DESK_HMAC });
  try {
    return await store.exposures();
  } finally {
    await store.close();
  }
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface PreviewBody {
  riskPassed: boolean;
  riskChecks: RiskCheck[];
}
const deskCheck = (checks: RiskCheck[]): RiskCheck | undefined => checks.find((c) => c.name === 'maxDeskGrossExposure');
const limitBuy = (quantity: number, limitPrice: number) => ({ symbol: 'AAPL', action: 'BUY', quantity, orderType: 'LMT', limitPrice });

describe.skipIf(!existsSync(GATEWAY_MAIN))('desk limits across two gateways on one PostgreSQL database (needs `npm run build`)', () => {
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterEach(() => fleet.killAll());
  afterAll(async () => {
    fleet.cleanup();
    await server?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("account A's published exposure makes account B's order breach the desk gross limit; a dead gateway's stale publication counts at its account's limit", async () => {
    const url = await server.createDatabase('desk_gross');
    const riskFile = join(tempDirFor('ibkr-desk-risk-'), 'risk.json');
    writeFileSync(riskFile, JSON.stringify({ accounts: { [A]: { maxGrossExposure: 0.9 * DESK_LIMIT } }, desk: { maxGrossExposure: DESK_LIMIT, publishIntervalSeconds: 1, staleAfterSeconds: 2 } }));
    const env = { RISK_FILE: riskFile };
    const a = await fleet.start(url, A, env);
    const b = await fleet.start(url, B, env);
    // Each gateway publishes its account before it takes orders.
    expect((await publications(url)).map((p) => [p.accountId, p.grossExposure, p.currency])).toEqual([
      [A, '0', 'USD'],
      [B, '0', 'USD'],
    ]);

    const last = (await rest<{ last: number }>(b, 'GET', '/api/market/quote?symbol=AAPL')).body.last;
    const sized = (share: number) => Math.floor((share * DESK_LIMIT) / last);
    const bigB = limitBuy(sized(0.5), Math.round(last * 99) / 100);
    const before = await rest<PreviewBody>(b, 'POST', '/api/orders/preview', bigB);
    expect(deskCheck(before.body.riskChecks)).toMatchObject({ passed: true });

    // A buys about 60% of the desk limit; its fill is published.
    expect((await rest(a, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: sized(0.6), orderType: 'MKT' })).status).toBe(200);
    const published = await waitFor('A to publish its fill', () => publications(url), (ps) => Number(ps.find((p) => p.accountId === A)?.grossExposure ?? 0) > 0.5 * DESK_LIMIT);
    const grossA = Number(published.find((p) => p.accountId === A)?.grossExposure);

    // B's order of about 50% would take the desk past its limit: refused, naming the check.
    const refused = await rest<{ error: { code: string; details: { failedChecks: RiskCheck[] } } }>(b, 'POST', '/api/orders/place', bigB);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('RISK_LIMIT_EXCEEDED');
    expect(refused.body.error.details.failedChecks.map((c) => c.name)).toEqual(['maxDeskGrossExposure']);
    expect(refused.body.error.details.failedChecks[0]?.value).toBeGreaterThan(DESK_LIMIT);
    expect(refused.body.error.details.failedChecks[0]?.message).toMatch(/exceeds the desk limit 100000/);
    // One of about 20% fits beside A's.
    const small = limitBuy(sized(0.2), Math.round(last * 99) / 100);
    const fits = await rest<PreviewBody>(b, 'POST', '/api/orders/preview', small);
    expect(deskCheck(fits.body.riskChecks)).toMatchObject({ passed: true });
    expect(deskCheck(fits.body.riskChecks)?.value).toBeGreaterThan(grossA);

    // A's gateway dies: once its publication is stale, A counts as its own limit (90,000), and the same small order no longer fits.
    a.child.kill('SIGKILL');
    await a.exited;
    const stale = await waitFor(
      'A to count as stale on B',
      async () => deskCheck((await rest<PreviewBody>(b, 'POST', '/api/orders/preview', small)).body.riskChecks),
      (c) => c?.passed === false,
    );
    expect(stale?.message).toMatch(new RegExp(`stale, counted at least at their own limits: ${A}`));
    expect(stale?.value).toBeGreaterThan(0.9 * DESK_LIMIT);
  });
});
