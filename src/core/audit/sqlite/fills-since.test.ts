/**
 * fillsSince (the daily loss check's fills, read twice per order) answers from
 * the filled versions this connection committed since it last read the table,
 * while no other connection has committed (PRAGMA data_version), and an
 * order's versions are parsed once (order-history.ts, parsed-columns.ts).
 * What must hold: the answer is the table's, whoever wrote the rows (another
 * gateway or the CLI on the same file), a transaction rolled back or refused
 * adds nothing, and every answer is the caller's own objects, exactly what a
 * read of the file gives.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Fill, OrderDetail } from '../../models.js';
import { entry, version } from '../../../testing/audit/samples.js';
import { statementsRun } from '../../../testing/audit/store-probes.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import type { HistoryRow } from '../rows.js';
import { ParsedColumns } from './parsed-columns.js';
import { openAuditStore, type SqliteAuditStore } from './store.js';

const t = useTempSqliteStore();
afterEach(() => {
  vi.restoreAllMocks();
});

const DAY = '2026-01-05T00:00:00.000Z';
const ACCOUNT = 'DU111111';
const fill = (orderId: string, execId: string, realizedPnl: number | null = null): Fill => ({
  execId,
  orderId,
  time: '2026-01-05T15:00:00.000Z',
  side: 'BUY',
  quantity: 1,
  price: 190.25,
  commission: 1,
  commissionCurrency: 'USD',
  realizedPnl,
  exchange: null,
});

/** A version with these fills (each version repeats the order's earlier fills). */
const filled = (store: SqliteAuditStore, orderId: string, fills: Fill[], overrides: Parameters<typeof version>[2] = {}) =>
  store.recordOrder(entry({ orderId }), version(orderId, fills.length > 1 ? 'FILLED' : 'PARTIALLY_FILLED', { fills, ...overrides }));

/** The answer read straight from the file by a connection that remembers nothing. */
function fromFile(afterRowId: number, account = ACCOUNT, fromIso = DAY): { fills: Fill[]; lastRowId: number } {
  return t.withFile((db) => {
    const lastRowId = db.prepare<[], { m: number | null }>('SELECT MAX(id) AS m FROM order_history').get()?.m ?? 0;
    const rows = db
      .prepare<[number, number, string, string], { fills: string }>("SELECT fills FROM order_history WHERE id > ? AND id <= ? AND account_id = ? AND updated_at >= ? AND fills <> '[]' ORDER BY id")
      .all(afterRowId, lastRowId, account, fromIso);
    return { fills: rows.flatMap((r) => (JSON.parse(r.fills) as Fill[]).filter((f) => f.time >= fromIso)), lastRowId };
  });
}

describe('fillsSince', () => {
  it("after its first read, the fills this connection commits are answered without reading the table (only PRAGMA data_version), and are the table's", async () => {
    await filled(t.store, '1', [fill('1', 'x1')]);
    const first = await t.store.fillsSince(ACCOUNT, DAY, 0);
    expect(first).toEqual(fromFile(0));
    await filled(t.store, '1', [fill('1', 'x1'), fill('1', 'x2', -3)]);
    await t.store.recordOrder(entry({ orderId: '2' }), version('2', 'SUBMITTED'));
    let next: { fills: Fill[]; lastRowId: number } | undefined;
    const sql = await statementsRun(async () => {
      next = await t.store.fillsSince(ACCOUNT, DAY, first.lastRowId);
    });
    expect(sql).toEqual(['PRAGMA data_version']);
    expect(next?.fills.map((f) => f.execId)).toEqual(['x1', 'x2']);
    expect(next).toEqual(fromFile(first.lastRowId));
    // The same text, key for key, as the file's.
    expect(JSON.stringify(next)).toBe(JSON.stringify(fromFile(first.lastRowId)));
  });

  it('fills another connection (another gateway, the CLI) commits between two reads, before and after this connection writes, are read', async () => {
    await filled(t.store, '1', [fill('1', 'x1')]);
    let mark = (await t.store.fillsSince(ACCOUNT, DAY, 0)).lastRowId;
    const other = t.openOther();
    // Another connection, then this one: the rows of both, in id order.
    await filled(other, '2', [fill('2', 'y1', 5)]);
    await filled(t.store, '3', [fill('3', 'z1')]);
    const both = await t.store.fillsSince(ACCOUNT, DAY, mark);
    expect(both.fills.map((f) => f.execId)).toEqual(['y1', 'z1']);
    expect(both).toEqual(fromFile(mark));
    mark = both.lastRowId;
    // Only another connection, after this one read: its rows, and its highest row as the mark.
    await filled(other, '2', [fill('2', 'y1', 5), fill('2', 'y2', 7)]);
    await other.recordOrder(entry({ orderId: '4' }), version('4', 'SUBMITTED'));
    const theirs = await t.store.fillsSince(ACCOUNT, DAY, mark);
    expect(theirs.fills.map((f) => f.execId)).toEqual(['y1', 'y2']);
    expect(theirs).toEqual(fromFile(mark));
    // This connection writes right after another's commit (its transaction sees the change first): still every row.
    mark = theirs.lastRowId;
    await filled(other, '5', [fill('5', 'w1')]);
    await filled(t.store, '6', [fill('6', 'v1')]);
    await filled(t.store, '6', [fill('6', 'v1'), fill('6', 'v2')]);
    const after = await t.store.fillsSince(ACCOUNT, DAY, mark);
    expect(after.fills.map((f) => f.execId)).toEqual(['w1', 'v1', 'v1', 'v2']);
    expect(after).toEqual(fromFile(mark));
  });

  it("another account's fills, fills before the day and versions written before the day are not this answer", async () => {
    await filled(t.store, '1', [fill('1', 'x1')]);
    const mark = (await t.store.fillsSince(ACCOUNT, DAY, 0)).lastRowId;
    await filled(t.store, '2', [fill('2', 'o1')], { accountId: 'DU222222' });
    await filled(t.store, '3', [{ ...fill('3', 'old'), time: '2026-01-04T15:00:00.000Z' }, fill('3', 'new')]);
    const later = '2026-01-05T15:00:00.001Z';
    const answer = await t.store.fillsSince(ACCOUNT, DAY, mark);
    expect(answer.fills.map((f) => f.execId)).toEqual(['new']);
    expect(answer).toEqual(fromFile(mark));
    // A day starting after the versions were written (the rows' updated_at): nothing, as the table says.
    expect(await t.store.fillsSince(ACCOUNT, later, mark)).toEqual(fromFile(mark, ACCOUNT, later));
    expect(await t.store.fillsSince('DU222222', DAY, mark)).toEqual(fromFile(mark, 'DU222222'));
  });

  it('fills of a rolled-back transaction are never read: a write refused alone, one refused inside a batch, a batch that could not commit', async () => {
    await filled(t.store, '1', [fill('1', 'x1')], { clientOrderId: 'c-1' });
    const mark = (await t.store.fillsSince(ACCOUNT, DAY, 0)).lastRowId;
    // Alone: an order born with its fill reusing c-1 (the transaction is rolled back whole).
    await expect(filled(t.store, '2', [fill('2', 'gone-1')], { clientOrderId: 'c-1' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    // In a batch: the first transaction is rolled back when the middle write fails, then the batch is written again with the
    // middle write rolled back to its SAVEPOINT; the two others commit.
    const batch = await Promise.allSettled([
      filled(t.store, '3', [fill('3', 'kept-1')]),
      filled(t.store, '4', [fill('4', 'gone-2')], { clientOrderId: 'c-1' }),
      filled(t.store, '5', [fill('5', 'kept-2')]),
    ]);
    expect(batch.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // recordNewOrders: two orders in one write, the second refused: neither is written.
    await expect(
      t.store.recordNewOrders({
        rows: () => [
          { entry: entry({ orderId: '6' }), version: version('6', 'PARTIALLY_FILLED', { fills: [fill('6', 'gone-3')] }) },
          { entry: entry({ orderId: '7' }), version: version('7', 'SUBMITTED', { clientOrderId: 'c-1' }) },
        ],
      }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    // A transaction that cannot commit (another connection holds the write lock past the busy timeout).
    const blocked = t.openOther({ busyTimeoutMs: 20 });
    const blockedMark = (await blocked.fillsSince(ACCOUNT, DAY, 0)).lastRowId;
    const holder = new Database(`${t.dir}/audit.db`);
    try {
      holder.exec('BEGIN IMMEDIATE');
      await expect(filled(blocked, '8', [fill('8', 'gone-4')])).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
      holder.exec('ROLLBACK');
    } finally {
      holder.close();
    }
    expect((await blocked.fillsSince(ACCOUNT, DAY, blockedMark)).fills).toEqual([]);
    const answer = await t.store.fillsSince(ACCOUNT, DAY, mark);
    expect(answer.fills.map((f) => f.execId)).toEqual(['kept-1', 'kept-2']);
    expect(answer).toEqual(fromFile(mark));
    // And what this connection writes next is read as before.
    await filled(t.store, '9', [fill('9', 'x9')]);
    expect((await t.store.fillsSince(ACCOUNT, DAY, answer.lastRowId)).fills.map((f) => f.execId)).toEqual(['x9']);
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });

  it('each answer is the caller\'s own: changing a fill it was given changes no later answer', async () => {
    await filled(t.store, '1', [fill('1', 'x1')]);
    const mark = (await t.store.fillsSince(ACCOUNT, DAY, 0)).lastRowId;
    await filled(t.store, '2', [fill('2', 'x2', 4)]);
    const first = await t.store.fillsSince(ACCOUNT, DAY, mark);
    (first.fills[0] as Fill).realizedPnl = 1_000_000;
    expect((await t.store.fillsSince(ACCOUNT, DAY, mark)).fills).toEqual([fill('2', 'x2', 4)]);
  });
});

describe('order versions parsed once', () => {
  /** The order as a connection that has parsed nothing reads it. */
  const detailFromFile = async (orderId: string): Promise<OrderDetail | null> => {
    const fresh = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL' });
    try {
      return await fresh.getOrder(orderId);
    } finally {
      await fresh.close();
    }
  };

  it('a version written is read back without parsing its JSON again, and reads as a fresh connection reads it, key order included', async () => {
    await t.store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED'));
    const { order } = await t.store.recordOrder(entry({ orderId: '1' }), version('1', 'PARTIALLY_FILLED', { fills: [fill('1', 'x1')] }));
    const parse = vi.spyOn(JSON, 'parse');
    const read = await t.store.getOrder('1');
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    const fresh = await detailFromFile('1');
    expect(read).toEqual(fresh);
    expect(JSON.stringify(read)).toBe(JSON.stringify(fresh));
    expect(JSON.stringify(order)).toBe(JSON.stringify(fresh));
  });

  it('every answer is its caller\'s own objects: changing one changes no later answer', async () => {
    const { order } = await t.store.recordOrder(entry({ orderId: '1' }), version('1', 'PARTIALLY_FILLED', { fills: [fill('1', 'x1')] }));
    order.spec.quantity = 999;
    (order.fills[0] as Fill).price = 1;
    const read = (await t.store.getOrder('1')) as OrderDetail;
    expect(read.spec.quantity).toBe(10);
    expect(read.fills[0]?.price).toBe(190.25);
    read.spec.symbol = 'X';
    read.fills.push(fill('1', 'not-written'));
    const updated = await t.store.updateOrder('1', (current) => {
      expect(current?.spec.symbol).toBe('AAPL');
      expect(current?.fills.map((f) => f.execId)).toEqual(['x1']);
      return null;
    });
    expect(updated.written).toBe(false);
    expect(JSON.stringify(await t.store.getOrder('1'))).toBe(JSON.stringify(await detailFromFile('1')));
  });
});

describe('ParsedColumns', () => {
  const row = (spec: string, fills: string): HistoryRow => ({ spec, fills }) as HistoryRow;

  it('a text with nested values is parsed at every use (a spread copy would share them)', () => {
    const columns = new ParsedColumns();
    const r = row('{"symbol":"AAPL","extra":{"a":1}}', '[{"execId":"x","nested":[1]}]');
    const a = columns.spec(r) as unknown as { extra: { a: number } };
    const b = columns.spec(r) as unknown as { extra: { a: number } };
    expect(a).toEqual(b);
    expect(a.extra).not.toBe(b.extra);
    const f = columns.fills(r) as unknown as Array<{ nested: number[] }>;
    expect(f[0]?.nested).not.toBe((columns.fills(r) as unknown as Array<{ nested: number[] }>)[0]?.nested);
  });

  it("a flat text's copies are equal to JSON.parse of it, key order included (integer-like keys, __proto__, -0)", () => {
    const columns = new ParsedColumns();
    const text = '{"b":1,"2":"two","a":null,"1":true,"__proto__":5,"z":-0}';
    const r = row(text, `[${text}]`);
    expect(Object.is((columns.spec(r) as unknown as { z: number }).z, -0)).toBe(true);
    expect(JSON.stringify(columns.spec(r))).toBe(JSON.stringify(JSON.parse(text)));
    expect(Object.keys(columns.spec(r))).toEqual(Object.keys(JSON.parse(text) as object));
    expect(Object.getOwnPropertyNames(columns.fills(r)[0])).toEqual(Object.getOwnPropertyNames((JSON.parse(`[${text}]`) as object[])[0]));
    expect(columns.spec(r)).not.toBe(columns.spec(r));
  });
});
