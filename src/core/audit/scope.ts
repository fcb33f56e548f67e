/** Which orders a broker connection owns (OrderScope), the rule every store's scoped queries apply. */
import type { OrderDetail } from '../models.js';
import type { OrderScope } from './types.js';

/** True when an order belongs to the scope (the same rule as IN_SCOPE). */
export function inScope(order: Pick<OrderDetail, 'brokerIdentity' | 'accountId'>, scope: OrderScope): boolean {
  if (order.brokerIdentity !== null) return scope.identities.includes(order.brokerIdentity);
  return order.accountId !== null && scope.accounts.includes(order.accountId);
}
