/**
 * Preview: everything placing the order would check, and IBKR's what-if
 * estimates, without placing anything. The preview id it returns binds this
 * exact order for PREVIEW_TTL_SECONDS (agents must preview before placing).
 */
import { fromZodIssues } from '../errors.js';
import { Decimal, toCents } from '../money.js';
import type { WhatIfResult } from '../broker/port.js';
import { OrderSpec, type OrderPreview, type OrderSpecInput } from '../models.js';
import { assess, type Assessment } from './assess.js';
import { auditRow, type OrderContext } from './context.js';

export function parseOrderSpec(input: OrderSpecInput | OrderSpec): OrderSpec {
  const parsed = OrderSpec.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, 'Order');
  return parsed.data;
}

export async function previewOrder(ctx: OrderContext, input: OrderSpecInput): Promise<OrderPreview> {
  const spec = parseOrderSpec(input);
  const a = await assess(ctx, spec);
  const whatIf = await ctx.broker.whatIf(a.contract, spec, a.accountId);
  const price = a.referencePrice ?? whatIf.referencePrice;
  const notional = price === null ? null : toCents(new Decimal(price).times(spec.quantity).times(a.contract.multiplier));
  const { previewId, expiresAt } = ctx.previews.issue(spec);
  const preview: OrderPreview = { previewId, expiresAt, spec, referencePrice: price, estimatedNotional: notional, ...estimateFields(a, whatIf) };
  await ctx.audit.append(auditRow(ctx, 'ORDER_PREVIEWED', { preview }, { accountId: a.accountId, orderId: null, snapshot: a.gate.snapshot }));
  return preview;
}

/** What every preview (of a new order or of a modification) reports from its assessment and the broker's what-if. */
export function estimateFields(a: Assessment, whatIf: WhatIfResult): Omit<OrderPreview, 'previewId' | 'expiresAt' | 'spec' | 'referencePrice' | 'estimatedNotional'> {
  const warnings = [...whatIf.warnings];
  if (a.gate.warning) warnings.push(a.gate.warning);
  return {
    contract: a.contract,
    estimatedCommission: whatIf.estimatedCommission,
    commissionCurrency: whatIf.commissionCurrency,
    initMarginChange: whatIf.initMarginChange,
    maintMarginChange: whatIf.maintMarginChange,
    equityWithLoanAfter: whatIf.equityWithLoanAfter,
    buyingPowerAfter: whatIf.buyingPowerAfter,
    riskChecks: a.riskChecks,
    riskPassed: a.riskPassed,
    gate: { outcome: a.gate.outcome, code: a.gate.code, reason: a.gate.reason },
    warnings,
  };
}
