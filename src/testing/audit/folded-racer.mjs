// Concurrency child for the order path's folded write (recordNewOrders): for
// each key it does what place.ts does, looks the key up, then claims it,
// reserves an id and records the order in ONE transaction, and completes the
// key only when that write recorded. Prints 'ready' once the store is open and
// starts when the parent writes a line to its stdin, so the processes contend
// key by key however long each took to start.
// argv: <compiled audit index.js> <dataDir> <keyCount> [asc|desc]
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [modulePath, dataDir, keyCount, direction = 'asc'] = process.argv.slice(2);
const { openAuditStore } = await import(pathToFileURL(modulePath).href);
const store = openAuditStore({ dataDir, synchronous: 'NORMAL' });
writeSync(1, 'ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();

const spec = { symbol: 'MSFT', securityType: 'STK', action: 'SELL', quantity: 5, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false };
const rows = (key) => (ids) =>
  ids.map((orderId) => ({
    entry: { correlationId: key, eventType: 'ORDER_SUBMITTED', eventData: { spec, idempotencyKey: key }, userContext: { interface: 'rest', apiKeyName: 'racer' }, accountId: 'DU1', orderId, configSnapshot: null },
    version: { orderId, clientOrderId: null, parentOrderId: null, role: 'ENTRY', accountId: 'DU1', conId: null, status: 'PENDING_SUBMIT', spec, filledQuantity: 0, remainingQuantity: 5, avgFillPrice: null, commission: null, fills: [], statusMessage: null, correlationId: key, expectNew: true },
  }));
for (let n = 0; n < Number(keyCount); n++) {
  const k = direction === 'desc' ? Number(keyCount) - 1 - n : n;
  const key = `key-${k}`;
  const claim = { scope: 'orders.place', key, owner: 'racer', requestHash: `hash-${k}` };
  let kind;
  let orderId = null;
  const seen = await store.peekIdempotent(claim.scope, key, claim.owner, claim.requestHash);
  if (seen !== null) kind = seen.kind;
  else {
    const outcome = await store.recordNewOrders({ claim, reserve: { count: 1, floor: 1 }, rows: rows(key) });
    if (outcome.kind === 'recorded') {
      kind = 'new';
      orderId = outcome.ids[0];
      await store.completeIdempotent(claim.scope, key, { orderId }, { durability: 'relaxed' });
    } else kind = outcome.claim.kind;
  }
  writeSync(1, `${JSON.stringify({ key, kind, orderId, pid: process.pid })}\n`);
  // Leave the write lock free for a moment between keys (see idempotent-racer.mjs).
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await store.close();
