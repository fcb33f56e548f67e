/**
 * How an approval is kept: as an order. The held order is an order_history
 * entry (id APR-...) whose latest version is PENDING_APPROVAL, and the
 * APPROVAL_PENDING audit row written with its first version carries what the
 * approver needs (requester, expiry, spec hash, reasons, the risk checks).
 * Nothing lives only in a process: a restart, the CLI or a second gateway on
 * the same store reads the same approvals, and PostgreSQL gets them for free.
 */
import type { AuditEntry, Approval, ApprovalState, Interface, OrderDetail, RiskCheck } from '../models.js';
import { ApprovalError } from '../errors.js';
import { hashOf } from '../hashing.js';
import type { OrderContext } from '../orders/context.js';

export const APPROVAL_ID_PREFIX = 'APR-';

/** What the APPROVAL_PENDING row records under eventData.approval. */
export interface PendingMeta {
  specHash: string;
  requestedBy: string;
  requestedVia: Interface;
  requestedAt: string;
  expiresAt: string;
  reasons: string[];
}

/** The hash an approval is bound to: the exact order (spec and account). */
export const specHashOf = (order: Pick<OrderDetail, 'spec' | 'accountId'>): string => hashOf({ spec: order.spec, accountId: order.accountId });

export const isApprovalId = (id: string): boolean => id.startsWith(APPROVAL_ID_PREFIX);

const STATE_OF: Partial<Record<OrderDetail['status'], ApprovalState>> = { PENDING_APPROVAL: 'PENDING', APPROVED: 'APPROVED', CANCELLED: 'CANCELLED' };

const DECISIONS = new Set(['APPROVAL_APPROVED', 'APPROVAL_REJECTED', 'APPROVAL_EXPIRED', 'ORDER_CANCELLED']);

/** The approval with this id, read from the store; APPROVAL_NOT_FOUND if there is none. */
export async function readApproval(ctx: OrderContext, approvalId: string): Promise<Approval> {
  const order = isApprovalId(approvalId) ? await ctx.audit.getOrder(approvalId) : null;
  if (!order) throw new ApprovalError('APPROVAL_NOT_FOUND', `No order held for approval with id ${approvalId}`, { approvalId });
  const rows = (await ctx.audit.query({ orderId: approvalId, limit: 1000 })).entries;
  return approvalFrom(order, rows);
}

export function approvalFrom(order: OrderDetail, rows: readonly AuditEntry[]): Approval {
  const pending = rows.find((r) => r.eventType === 'APPROVAL_PENDING');
  const meta = (pending?.eventData.approval ?? null) as PendingMeta | null;
  const decision = [...rows].reverse().find((r) => DECISIONS.has(r.eventType)) ?? null;
  const data = decision?.eventData ?? {};
  const state: ApprovalState = decision?.eventType === 'APPROVAL_EXPIRED' ? 'EXPIRED' : (STATE_OF[order.status] ?? 'REJECTED');
  return {
    approvalId: order.orderId,
    state,
    spec: order.spec,
    specHash: meta?.specHash ?? specHashOf(order),
    accountId: order.accountId,
    requestedBy: meta?.requestedBy ?? 'unknown',
    requestedVia: meta?.requestedVia ?? 'system',
    requestedAt: meta?.requestedAt ?? order.createdAt,
    expiresAt: meta?.expiresAt ?? order.createdAt,
    reasons: meta?.reasons ?? [],
    referencePrice: typeof pending?.eventData.referencePrice === 'number' ? pending.eventData.referencePrice : null,
    riskChecks: (pending?.eventData.riskChecks ?? []) as RiskCheck[],
    decidedBy: typeof data.by === 'string' ? data.by : null,
    decidedAt: decision?.timestamp ?? null,
    decisionReason: typeof data.reason === 'string' ? data.reason : null,
    orderId: typeof data.orderId === 'string' ? data.orderId : null,
  };
}

/** Approvals, newest first: pending ones (every open APR- order), or decided ones too. */
export async function listApprovals(ctx: OrderContext, state: 'pending' | 'decided' | 'all', limit: number): Promise<Approval[]> {
  const orders =
    state === 'pending'
      ? (await ctx.audit.heldOrders(ctx.scope())).reverse()
      : (await ctx.audit.listOrders({ status: state === 'decided' ? 'closed' : 'all', limit: 1000 }, ctx.scope())).filter((o) => isApprovalId(o.orderId));
  const out: Approval[] = [];
  for (const order of orders.slice(0, limit)) {
    const rows = (await ctx.audit.query({ orderId: order.orderId, limit: 1000 })).entries;
    out.push(approvalFrom(order, rows));
  }
  return out;
}
