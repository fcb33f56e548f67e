/** How orders, previews and refusals read on screen: shared by the ticket (trade.ts) and the modification panel (modify.ts). */
import { ApiError } from './api.js';
import { fmtPrice, fmtQty, fmtValue, h, table } from './dom.js';
import type { OrderSpec, RiskCheck } from './types.js';

export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  // Field-level validation issues say which input is wrong.
  const issues = (err.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues;
  const failed = (err.details as { failedChecks?: Array<{ name: string; message: string }> } | undefined)?.failedChecks;
  const extra = Array.isArray(issues) ? issues.map((i) => `${i.path}: ${i.message}`).join('; ') : Array.isArray(failed) ? failed.map((c) => c.message).join('; ') : '';
  return `${err.code}: ${err.message}${extra && !err.message.includes(extra) ? ` (${extra})` : ''}`;
}

export function row(label: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value)];
}

/** The order in one line, as it will be sent: side, quantity, symbol, type, time in force, prices. */
export function orderLine(s: OrderSpec): string {
  const prices = [
    s.limitPrice !== undefined ? `limit ${fmtPrice(s.limitPrice)}` : '',
    s.stopPrice !== undefined ? `stop ${fmtPrice(s.stopPrice)}` : '',
    s.trailingAmount !== undefined ? `trail ${fmtPrice(s.trailingAmount)}` : '',
    s.trailingPercent !== undefined ? `trail ${s.trailingPercent}%` : '',
    s.takeProfitPrice !== undefined ? `TP ${fmtPrice(s.takeProfitPrice)}` : '',
    s.stopLossPrice !== undefined ? `SL ${fmtPrice(s.stopLossPrice)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.action} ${fmtQty(s.quantity)} ${s.symbol} ${s.orderType} ${s.timeInForce}${prices ? ` (${prices})` : ''}${s.outsideRth ? ' outside RTH' : ''}`;
}

/** A check's value or limit; a list ("STK,ETF,...") gets spaces so it wraps inside the box. */
const listValue = (v: number | string | null): string => fmtValue(v).replace(/,(?=\S)(?!\d{3}\b)/g, ', ');

/** Every risk check; the result first, so it is in sight however narrow the box, and a failure's reason wraps below it rather than widening the table. */
export function riskTable(checks: RiskCheck[]): HTMLElement {
  return table(
    'Risk checks',
    ['Result', 'Check', 'Value', 'Limit'],
    checks.map((c) => [
      h('span', { class: c.passed ? 'pos' : 'neg', title: c.message }, c.passed ? 'pass' : 'FAIL'),
      h('span', { title: c.message }, c.name, c.passed ? null : h('span', { class: 'reason' }, c.message)),
      h('span', { class: 'wrap' }, listValue(c.value)),
      h('span', { class: 'wrap' }, listValue(c.limit)),
    ]),
  );
}
