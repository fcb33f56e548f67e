// Another process on the same audit.db: opens the store, prints 'ready', and
// on each line from the parent records one new order (its id is the line),
// printing 'recorded <id>' once it is committed. Ends when stdin closes.
// argv: <compiled audit index.js> <dataDir>
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [modulePath, dataDir] = process.argv.slice(2);
const { openAuditStore } = await import(pathToFileURL(modulePath).href);
const store = openAuditStore({ dataDir, synchronous: 'NORMAL' });
writeSync(1, 'ready\n');

const spec = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false };
for await (const line of createInterface({ input: process.stdin })) {
  const orderId = line.trim();
  if (orderId === '') continue;
  await store.recordOrder(
    { correlationId: `writer-${orderId}`, eventType: 'ORDER_SUBMITTED', eventData: { spec }, userContext: { interface: 'cli', apiKeyName: null }, accountId: 'DU2', orderId, configSnapshot: null },
    { orderId, clientOrderId: null, parentOrderId: null, role: 'ENTRY', accountId: 'DU2', conId: null, status: 'SUBMITTED', spec, filledQuantity: 0, remainingQuantity: 1, avgFillPrice: null, commission: null, fills: [], statusMessage: null, correlationId: `writer-${orderId}`, brokerIdentity: 'sim:DU2' },
  );
  writeSync(1, `recorded ${orderId}\n`);
}
await store.close();
