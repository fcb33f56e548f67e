/* global setImmediate */
// The rows one sim market order writes to audit.db (its versions and audit entries), shared by the
// benches that drive the store's order writes directly (order-rows.js, order-pages.js).
export const SPEC = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false };
export const USER = { interface: 'rest', apiKeyName: 'bench' };
export const ACCOUNT = 'DU1234567';
/** One event-loop turn: orders 20 ms apart at 50/s never share a transaction, nor do these. */
export const turn = () => new Promise((r) => setImmediate(r));

/** Version `status` of order `orderId` (the `n`th order of the run). */
export function version(orderId, n, status, extra = {}) {
  const filled = status === 'FILLED';
  return {
    orderId,
    clientOrderId: `c-${n}`,
    parentOrderId: null,
    role: 'ENTRY',
    accountId: ACCOUNT,
    conId: 265598,
    status,
    spec: { ...SPEC, clientOrderId: `c-${n}` },
    filledQuantity: filled ? 1 : 0,
    remainingQuantity: filled ? 0 : 1,
    avgFillPrice: filled ? 252.85 : null,
    commission: filled ? 1 : null,
    fills: filled ? [{ commission: 1, commissionCurrency: 'USD', exchange: 'ISLAND', execId: `e.${orderId}`, orderId, price: 252.85, quantity: 1, realizedPnl: null, side: 'BUY', time: new Date().toISOString() }] : [],
    statusMessage: null,
    correlationId: `corr-${n}`,
    brokerIdentity: `sim:${ACCOUNT}`,
    ...extra,
  };
}

// Only the submission's event data names the instrument: the broker's status and fill events carry
// none (traced on the gateway, 2026-12-04), so their rows have no symbol.
export const entry = (orderId, n, eventType, data) => ({ correlationId: `corr-${n}`, eventType, eventData: eventType === 'ORDER_SUBMITTED' ? { spec: SPEC, ...data } : data, userContext: USER, accountId: ACCOUNT, orderId, configSnapshot: eventType === 'ORDER_SUBMITTED' ? { ordersEnabled: true, tradingMode: 'paper' } : null });
