// The gateway environment the order benches run under: they place thousands of identical orders,
// so the risk limits that exist to stop exactly that are lifted (cash, notionals, rates, duplicates, and the
// daily loss their commissions add up to: about 50,000 orders reach the default MAX_DAILY_LOSS).
export const LIFTED_LIMITS = {
  SIM_STARTING_CASH: '1000000000000',
  MAX_ORDER_NOTIONAL: '1000000000000',
  MAX_POSITION_NOTIONAL: '1000000000000',
  MAX_GROSS_EXPOSURE: '1000000000000',
  MAX_ORDERS_PER_MINUTE: '1000000',
  MAX_ORDERS_PER_DAY: '100000000',
  DUPLICATE_ORDER_WINDOW_SECONDS: '0',
  MAX_DAILY_LOSS: '1000000000000',
};
