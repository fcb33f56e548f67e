/**
 * What-if previews: placeOrder with whatIf=true under an id of its own. IBKR
 * answers with an openOrder whose orderState carries the margin and commission
 * estimates (nothing is placed), or with an error for that id.
 */
import { BrokerConnectionError } from '../../core/errors.js';
import { toCents } from '../../core/money.js';
import type { Contract, OrderSpec } from '../../core/models.js';
import type { WhatIfResult } from '../../core/broker/port.js';
import { classify, ibkrError } from '../../ibkr/error-codes.js';
import type { TwsContext } from './context.js';
import type { OrderIds } from './order-ids.js';
import { isRecord, num, specToIbOrder, str, toIbContract } from './wire.js';

export class WhatIfs {
  private readonly pending = new Map<number, { resolve: (state: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly ctx: TwsContext,
    private readonly ids: OrderIds,
  ) {}

  /** An openOrder for a what-if id: its answer. Returns whether the id was a pending what-if. */
  answer(orderId: number, orderState: unknown): boolean {
    const p = this.pending.get(orderId);
    p?.resolve(orderState);
    return p !== undefined;
  }

  /** An error for a what-if id: fatal ones end the preview. Returns whether the id was a pending what-if. */
  fail(orderId: number, code: number, message: string): boolean {
    const p = this.pending.get(orderId);
    if (!p) return false;
    if (classify(code, message).severity === 'fatal') p.reject(ibkrError(code, message, { orderId: String(orderId) }));
    return true;
  }

  async preview(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult> {
    const { conn, requestTimeoutMs } = this.ctx;
    const [idText] = this.ids.allocate(1);
    const id = Number(idText);
    const state = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BrokerConnectionError(`IBKR did not answer the what-if request within ${requestTimeoutMs} ms`, 'BROKER_TIMEOUT'));
      }, requestTimeoutMs);
      timer.unref();
      const done = <T>(fn: (v: T) => void) => (v: T): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        fn(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      conn.send('placeOrder whatIf', (ib) => ib.placeOrder(id, toIbContract(contract), specToIbOrder(spec, { account: accountId, orderRef: 'what-if', whatIf: true }))).catch(done(reject));
    });
    const s = isRecord(state) ? state : {};
    let commission = num(s.commission);
    if (commission === null) {
      const lo = num(s.minCommission);
      const hi = num(s.maxCommission);
      if (lo !== null && hi !== null) commission = (lo + hi) / 2;
    }
    const warning = str(s.warningText);
    const money = (v: unknown): number | null => {
      const n = num(v);
      return n === null ? null : toCents(n);
    };
    return {
      referencePrice: spec.limitPrice ?? spec.stopPrice ?? null,
      estimatedCommission: commission === null ? null : toCents(commission),
      commissionCurrency: str(s.commissionCurrency) || contract.currency,
      initMarginChange: money(s.initMarginChange),
      maintMarginChange: money(s.maintMarginChange),
      equityWithLoanAfter: money(s.equityWithLoanAfter),
      // IBKR's what-if does not report buying power; the core's risk checks use margin and equity.
      buyingPowerAfter: null,
      warnings: warning ? warning.split(/;\s*/).filter((w) => w !== '') : [],
    };
  }
}
