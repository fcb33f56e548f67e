/**
 * The REST API's response shapes, as far as the dashboard reads them. They are
 * written out here rather than imported from core/models.ts so the browser
 * build does not pull zod in; dashboard.test.ts checks at type level that the
 * core's types still fit these, so a change in the API breaks the build, not the page.
 */

export type Scope = 'read' | 'trade' | 'admin' | 'approve';
type Num = number | null;

export interface KillSwitchState {
  engaged: boolean;
  reason: string | null;
  since: string | null;
  by: string | null;
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  version: string;
  broker: { kind: string; state: string; connected: boolean; accounts: string[]; marketDataType: string; lastError: string | null };
  tradingMode: string;
  ordersEnabled: boolean;
  liveOverridePresent: boolean;
  effectiveOrderMode: 'TRANSMIT' | 'SIMULATE' | 'BLOCK';
  killSwitch: KillSwitchState;
}

/** /health without a key: the status alone. */
export interface HealthStatus {
  status: Health['status'];
}

/** GET /api/me. */
export interface ApiKeyInfo {
  name: string;
  scopes: Scope[];
}

export interface Quote {
  symbol: string;
  bid: Num;
  ask: Num;
  last: Num;
  bidSize: Num;
  askSize: Num;
  volume: Num;
  close: Num;
  timestamp: string;
  source: string;
}

/** Data of the quote stream's `event: symbol-error`: a symbol it cannot serve, and why. */
export interface SymbolFailure {
  symbol: string;
  error: { code: string; message: string };
}

export interface Bar {
  time: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface AccountSummary {
  accountId: string;
  currency: string;
  netLiquidation: number;
  totalCash: number;
  buyingPower: number;
  availableFunds: number;
  excessLiquidity: number;
  initMarginReq: number;
  maintMarginReq: number;
  unrealizedPnl: number;
  realizedPnl: number;
  timestamp: string;
}

export interface Position {
  symbol: string;
  securityType: string;
  currency: string;
  quantity: number;
  avgCost: number;
  marketPrice: Num;
  marketValue: Num;
  unrealizedPnl: Num;
  realizedPnl: number;
}

export interface AccountPnL {
  dailyPnl: number;
  unrealizedPnl: number;
  realizedPnl: number;
  bySymbol: Array<{ symbol: string; position: number; dailyPnl: Num; unrealizedPnl: Num; realizedPnl: number; marketValue: Num }>;
}

/** The order as the API normalises it; also the body of a place request (with previewId). */
export interface OrderSpec {
  symbol: string;
  securityType: string;
  action: 'BUY' | 'SELL';
  quantity: number;
  orderType: string;
  timeInForce: string;
  outsideRth: boolean;
  goodAfterTime?: string;
  goodTillDate?: string;
  exchange?: string;
  currency?: string;
  expiry?: string;
  strike?: number;
  right?: 'C' | 'P';
  limitPrice?: number;
  stopPrice?: number;
  trailingAmount?: number;
  trailingPercent?: number;
  limitOffset?: number;
  takeProfitPrice?: number;
  stopLossPrice?: number;
  ocaGroup?: string;
  clientOrderId?: string;
  account?: string;
}

export interface RiskCheck {
  name: string;
  passed: boolean;
  value: number | string | null;
  limit: number | string | null;
  message: string;
}

export interface OrderPreview {
  previewId: string;
  expiresAt: string;
  spec: OrderSpec;
  contract: { conId: number; symbol: string; securityType: string; exchange: string; currency: string };
  referencePrice: Num;
  estimatedNotional: Num;
  estimatedCommission: Num;
  commissionCurrency: string;
  initMarginChange: Num;
  maintMarginChange: Num;
  equityWithLoanAfter: Num;
  buyingPowerAfter: Num;
  riskChecks: RiskCheck[];
  riskPassed: boolean;
  gate: { outcome: 'TRANSMIT' | 'SIMULATE' | 'BLOCK'; code: string | null; reason: string };
  warnings: string[];
}

export interface OrderResult {
  orderId: string;
  status: string;
  message: string | null;
  children: Array<{ orderId: string; role: string; status: string }>;
  idempotentReplay: boolean;
}

export interface Fill {
  execId: string;
  time: string;
  side: string;
  quantity: number;
  price: number;
  commission: number;
}

export interface OrderDetail {
  orderId: string;
  clientOrderId: string | null;
  parentOrderId: string | null;
  role: string;
  accountId: string | null;
  status: string;
  spec: OrderSpec;
  filledQuantity: number;
  remainingQuantity: number;
  avgFillPrice: Num;
  commission: Num;
  fills: Fill[];
  statusMessage: string | null;
  createdAt: string;
  updatedAt: string;
  /** Grows with every change of the order: an older copy never replaces a newer one on screen. */
  version: number;
}

/** One event of GET /api/orders/stream (and /api/orders/events). */
export interface OrderEvent {
  sequence: number;
  kind: 'NEW' | 'STATUS' | 'FILL';
  orderId: string;
  status: string;
  previousStatus: string | null;
  fill: Fill | null;
  auditEventType: string;
  correlationId: string;
  timestamp: string;
  order: OrderDetail;
}

/** The changes a working order can take (PATCH /api/orders/{id}); fields left out keep their value. */
export interface OrderModification {
  quantity?: number;
  limitPrice?: number;
  stopPrice?: number;
}

export interface ModificationPreview extends OrderPreview {
  orderId: string;
  previous: OrderSpec;
  filledQuantity: number;
}

export interface ModifyResult {
  orderId: string;
  status: string;
  modified: boolean;
  spec: OrderSpec;
  previous: OrderSpec;
  filledQuantity: number;
  remainingQuantity: number;
  message: string | null;
  correlationId: string;
  idempotentReplay: boolean;
}

export interface CancelResult {
  orderId: string;
  status: string;
  cancelled: boolean;
  message: string;
}

export interface AuditEntry {
  id: number;
  correlationId: string;
  timestamp: string;
  eventType: string;
  orderId: string | null;
  accountId: string | null;
  eventData: Record<string, unknown>;
  userContext: { interface: string; apiKeyName: string | null };
}

export interface AuditPage {
  entries: AuditEntry[];
  nextAfterId: number | null;
}

export interface AuditVerifyResult {
  ok: boolean;
  checkedRows: number;
  firstBadId: number | null;
  reason: string | null;
}

/** The one error body of the API. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
  correlationId: string;
}

/** Statuses after which an order never changes (it leaves the open orders); dashboard.test.ts checks them against the core's. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['SIMULATED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED', 'APPROVED']);

/** Kept in step with the API's enums by the type-level check in dashboard.test.ts. */
export const ORDER_TYPES = ['MKT', 'LMT', 'STP', 'STP_LMT', 'TRAIL', 'TRAIL_LIMIT', 'MOC', 'OPG', 'LOC', 'MIDPRICE'] as const;
export const TIME_IN_FORCE = ['DAY', 'GTC', 'IOC', 'FOK', 'OPG', 'GTD'] as const;
export const SECURITY_TYPES = ['STK', 'ETF', 'FUT', 'OPT', 'IND', 'CASH', 'CFD', 'BOND', 'FUND', 'CRYPTO'] as const;
export const BAR_SIZES = [
  '1 secs', '5 secs', '10 secs', '15 secs', '30 secs',
  '1 min', '2 mins', '3 mins', '5 mins', '10 mins', '15 mins', '20 mins', '30 mins',
  '1 hour', '2 hours', '3 hours', '4 hours', '8 hours',
  '1 day', '1 week', '1 month',
] as const;
export const AUDIT_EVENT_TYPES = [
  'ORDER_PREVIEWED', 'ORDER_SIMULATED', 'ORDER_SUBMITTED', 'ORDER_ACCEPTED', 'ORDER_PARTIALLY_FILLED', 'ORDER_FILLED',
  'ORDER_CANCEL_REQUESTED', 'ORDER_CANCELLED', 'ORDER_REJECTED', 'ORDER_EXPIRED', 'ORDER_UNKNOWN', 'ORDER_RECONCILED',
  'RISK_BLOCKED', 'GATE_BLOCKED', 'KILL_SWITCH', 'CONNECTION_LOST', 'CONNECTION_RESTORED', 'CONFIG_LOADED',
  'ORDER_MODIFY_REQUESTED', 'ORDER_MODIFIED', 'ORDER_MODIFY_REJECTED', 'ORDER_MODIFY_SIMULATED',
  'BROKER_INITIATED_FILL',
  'APPROVAL_PENDING', 'APPROVAL_REASSESSED', 'APPROVAL_APPROVED', 'APPROVAL_REJECTED', 'APPROVAL_EXPIRED',
  'KILL_SWITCH_ENFORCED',
] as const;

/** An order held for a person's approval (GET /api/approvals). */
export interface Approval {
  approvalId: string;
  state: 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'CANCELLED';
  spec: OrderSpec;
  specHash: string;
  accountId: string | null;
  requestedBy: string;
  requestedVia: string;
  requestedAt: string;
  expiresAt: string;
  reasons: string[];
  referencePrice: Num;
  riskChecks: RiskCheck[];
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  orderId: string | null;
}

export interface ApprovalDecision {
  approval: Approval;
  order: OrderResult | null;
  idempotentReplay: boolean;
}
