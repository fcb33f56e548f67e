// What building and sealing one order's chained rows costs: the canonical JSON of the audit rows' event data,
// user context and config snapshot and of the history rows' spec and fills, the hashed text of each row and its
// HMAC (row-builders.ts auditRow and historyRow), A/B between builds in one process (issue 18):
//
//   node bench/row-text.js [root ...]      (default: this worktree)
//
// Each root is a checkout with dist/ built. Its own library client places ORDERS sim market orders (as the
// REST bench's: no clientOrderId), and what its store's row builders were given is kept: the audit entries
// and order versions as that root's order path built them (so a build that builds its event data in another
// key order is measured with its own). Then the roots alternate ROUNDS times, each replaying its orders' rows
// through its own auditRow and historyRow (no SQLite) REPS times; the figure is process CPU per order. One
// process for all roots, so the machine's load falls on every side alike.
//
// Environment: ORDERS (default 20), ROUNDS (default 15), REPS (default 200).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LIFTED_LIMITS } from './lifted-limits.js';

const ORDERS = Number(process.env.ORDERS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const REPS = Number(process.env.REPS ?? 200);
const NOW = '2026-12-04T21:00:00.000Z';
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(new URL('..', import.meta.url).pathname)];

/** The rows `root`'s order path hands its store's row builders for ORDERS orders, and those builders. */
async function capture(root) {
  const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
  const { createClient } = await dist('gateway.js');
  const { AuditLogTable } = await dist('core/audit/sqlite/audit-log.js');
  const { OrderHistoryTable } = await dist('core/audit/sqlite/order-history.js');
  const builders = await dist('core/audit/row-builders.js');
  const { Sealer } = await dist('core/audit/chain.js');
  const { keyFromText } = await dist('core/audit/key.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-rowtext-'));
  const client = await createClient({ env: { DATA_DIR: dataDir, SIM_SESSION: 'always-open', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent', ...LIFTED_LIMITS } });
  const order = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
  for (let i = 0; i < 5; i++) await client.placeOrder(order);
  const rows = [];
  const appendRow = AuditLogTable.prototype.appendRowInTransaction;
  const appendVersion = OrderHistoryTable.prototype.appendInTransaction;
  AuditLogTable.prototype.appendRowInTransaction = function (entry, ...rest) {
    rows.push({ entry });
    return appendRow.call(this, entry, ...rest);
  };
  OrderHistoryTable.prototype.appendInTransaction = function (version, ...rest) {
    rows.push({ version });
    return appendVersion.call(this, version, ...rest);
  };
  for (let i = 0; i < ORDERS; i++) await client.placeOrder(order);
  await new Promise((r) => setTimeout(r, 200));
  AuditLogTable.prototype.appendRowInTransaction = appendRow;
  OrderHistoryTable.prototype.appendInTransaction = appendVersion;
  await client.close();
  rmSync(dataDir, { recursive: true, force: true });
  const sealer = new Sealer(keyFromText('k'.repeat(40), 'AUDIT_HMAC_KEY'));
  return { root, rows, builders, sealer };
}

/** Builds and seals every captured row once, each version after its order's previous one; returns the rows' total length. */
function replay({ rows, builders, sealer }) {
  const { auditRow, historyRow } = builders;
  const latest = new Map();
  let id = 1;
  let bytes = 0;
  for (const { entry, version } of rows) {
    const link = { id: id++, prevHash: 'p'.repeat(64) };
    if (entry !== undefined) {
      const row = auditRow(entry, link, NOW, sealer);
      bytes += row.event_data.length;
    } else {
      const row = historyRow(version, latest.get(version.orderId), link, link.id, NOW, 1, sealer);
      latest.set(version.orderId, row);
      bytes += row.spec.length + row.fills.length;
    }
  }
  return bytes;
}

const sides = [];
for (const root of roots) sides.push(await capture(root));
for (const side of sides) {
  const audit = side.rows.filter((r) => r.entry !== undefined).length;
  console.log(`${side.root}: ${audit / ORDERS} audit rows and ${(side.rows.length - audit) / ORDERS} versions per order, ${replay(side) / ORDERS} bytes of JSON columns per order`);
  for (let i = 0; i < 50; i++) replay(side);
}
const perOrder = new Map(roots.map((r) => [r, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
    const start = process.cpuUsage();
    for (let i = 0; i < REPS; i++) replay(side);
    const used = process.cpuUsage(start);
    perOrder.get(side.root).push((used.user + used.system) / (REPS * ORDERS));
  }
}
const quantiles = (values, digits) => {
  const s = [...values].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))].toFixed(digits);
  return `median ${q(0.5)} (min ${q(0)}, quartiles ${q(0.25)}-${q(0.75)}, max ${q(1)})`;
};
// The load moves between rounds more than between neighbours: each side is also given as its ratio to the first
// root's figure of the same round.
const first = perOrder.get(roots[0]);
for (const [root, values] of perOrder) {
  const ratio = root === roots[0] ? '' : `; against ${roots[0]} in the same round ${quantiles(values.map((v, i) => v / first[i]), 3)}`;
  console.log(`${root}: ${quantiles(values, 1)} µs of CPU per order over ${ROUNDS} rounds${ratio}`);
}
process.exit(0);
