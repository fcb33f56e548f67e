/**
 * Approvals view: every order held for a person, with what the approver needs
 * to decide (the order, why it waits, who asked, its risk checks at request
 * time and the current quote beside the price it was assessed at), and
 * Approve / Reject for a key with the approve scope. Approve sends the spec
 * hash shown here, so the decision is bound to the order on the screen.
 */
import { api, ApiError } from './api.js';
import { byId, fmtPrice, fmtQty, fmtTime, h, replace, say, table } from './dom.js';
import { applyScopes } from './session.js';
import type { Approval, ApprovalDecision, Quote } from './types.js';

const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

async function currentPrice(symbol: string): Promise<string> {
  try {
    const q = await api<Quote>(`/api/market/quote?${new URLSearchParams({ symbol }).toString()}`);
    return `bid ${fmtPrice(q.bid)} / ask ${fmtPrice(q.ask)} / last ${fmtPrice(q.last)}`;
  } catch (err) {
    return errorText(err);
  }
}

function orderText(a: Approval): string {
  const s = a.spec;
  const price = s.limitPrice !== undefined ? ` limit ${fmtPrice(s.limitPrice)}` : s.stopPrice !== undefined ? ` stop ${fmtPrice(s.stopPrice)}` : '';
  return `${s.action} ${fmtQty(s.quantity)} ${s.symbol} ${s.orderType}${price} ${s.timeInForce}`;
}

async function card(a: Approval): Promise<HTMLElement> {
  const reason = h('input', { name: 'reason', maxlength: '500', placeholder: 'Reason (required to reject)', 'aria-label': `Reason for ${a.approvalId}` });
  const message = h('p', { class: 'message', role: 'status' });
  const approve = h('button', { type: 'button', class: 'danger', 'data-scope': 'approve', 'data-approve': a.approvalId }, 'Approve and send');
  const reject = h('button', { type: 'button', 'data-scope': 'approve', 'data-reject': a.approvalId }, 'Reject');
  const decide = async (action: 'approve' | 'reject'): Promise<void> => {
    const text = reason.value.trim();
    if (action === 'reject' && text === '') return say(message, 'Give a reason to reject.', 'error');
    approve.disabled = true;
    reject.disabled = true;
    say(message, action === 'approve' ? 'Re-checking against the market and sending…' : 'Rejecting…');
    try {
      const body = action === 'approve' ? { specHash: a.specHash, ...(text ? { reason: text } : {}) } : { reason: text };
      const d = await api<ApprovalDecision>(`/api/approvals/${encodeURIComponent(a.approvalId)}/${action}`, { method: 'POST', body });
      say(message, d.approval.state === 'APPROVED' ? `Approved: sent as order ${d.approval.orderId ?? '?'} (${d.order?.status ?? ''})` : `Rejected: ${d.approval.decisionReason ?? ''}`, 'ok');
      // The answer stays on the card for a moment before the list redraws without it.
      shownUntil = Date.now() + SHOW_DECISION_MS;
      window.setTimeout(() => void loadApprovals(), SHOW_DECISION_MS);
    } catch (err) {
      say(message, errorText(err), 'error');
      approve.disabled = false;
      reject.disabled = false;
    }
  };
  approve.addEventListener('click', () => void decide('approve'));
  reject.addEventListener('click', () => void decide('reject'));
  return h(
    'article',
    { class: 'panel approval', 'data-approval': a.approvalId, 'aria-label': `Approval ${a.approvalId}` },
    h('h3', {}, `${orderText(a)} `, h('span', { class: 'muted' }, a.approvalId)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Requested by'),
      h('dd', {}, `${a.requestedBy} via ${a.requestedVia}, ${fmtTime(a.requestedAt)}`),
      h('dt', {}, 'Expires'),
      h('dd', {}, fmtTime(a.expiresAt)),
      h('dt', {}, 'Waits because'),
      h('dd', {}, a.reasons.join('; ')),
      h('dt', {}, 'Account'),
      h('dd', {}, a.accountId ?? '—'),
      h('dt', {}, 'Price at request'),
      h('dd', {}, fmtPrice(a.referencePrice)),
      h('dt', {}, 'Market now'),
      h('dd', { class: 'quote-now' }, await currentPrice(a.spec.symbol)),
    ),
    table('Risk checks at request', ['Check', 'Result', 'Value', 'Limit'], a.riskChecks.map((c) => [c.name, c.passed ? 'pass' : 'FAIL', String(c.value ?? '—'), String(c.limit ?? '—')])),
    h('div', { class: 'inline' }, reason, approve, reject),
    message,
  );
}

let reloadTimer: number | undefined;
/** How long a decision's answer stays on its card, and until when (a redraw would remove the card with it). */
const SHOW_DECISION_MS = 1500;
let shownUntil = 0;

/**
 * Follows the order event stream instead of polling: a held order is an order
 * (APR-…), so its arrival, its decision and its expiry are all order events.
 * Reloads (coalesced, since one decision brings several events) only while the
 * Approvals view is shown; entering the view loads it anyway.
 */
export function approvalsFollow(order: { orderId: string; status: string }): void {
  if (!order.orderId.startsWith('APR-') && order.status !== 'PENDING_APPROVAL') return;
  if (byId('view-approvals').hidden) return;
  window.clearTimeout(reloadTimer);
  reloadTimer = window.setTimeout(() => void loadApprovals(), Math.max(150, shownUntil - Date.now()));
}

export async function loadApprovals(): Promise<void> {
  const list = byId('approvals-list');
  const message = byId('approvals-message');
  try {
    const pending = await api<Approval[]>('/api/approvals?state=pending');
    // Cards still pending are kept as they are (the same elements), so a reason someone is typing
    // survives another approval arriving or leaving; only new approvals get a new card.
    const shown = new Map(Array.from(list.querySelectorAll<HTMLElement>('[data-approval]')).map((n) => [n.dataset.approval ?? '', n]));
    const ids = pending.map((a) => a.approvalId);
    if ([...shown.keys()].join(',') !== ids.join(',') || ids.length === 0) {
      const cards = await Promise.all(pending.map((a) => shown.get(a.approvalId) ?? card(a)));
      replace(list, ...(pending.length === 0 ? [h('p', { class: 'muted' }, 'No order is waiting for approval.')] : cards));
      applyScopes(list);
    }
    say(message, `${pending.length} waiting`);
    const decided = await api<Approval[]>('/api/approvals?state=decided&limit=20');
    replace(
      byId('approvals-decided'),
      table(
        'Recently decided',
        ['Approval', 'Order', 'State', 'By', 'When', 'Why', 'Sent as'],
        decided.map((a) => [a.approvalId, orderText(a), a.state, a.decidedBy ?? '—', fmtTime(a.decidedAt), a.decisionReason ?? '—', a.orderId ?? '—']),
        'Nothing decided yet',
      ),
    );
  } catch (err) {
    say(message, errorText(err), 'error');
  }
}
