/**
 * State shared by every client connection: client ids in use, the TWS order
 * ids each client chose mapped to the broker's ids, permIds, market data
 * lines, historical pacing, fault switches, and the one subscription to the
 * broker's order and fill events that is fanned out to the owning client.
 */
import type { AccountExecution, Broker, BrokerOrderState } from '../core/broker/port.js';
import type { Clock } from '../core/clock.js';
import type { Contract, Fill, OrderSpec } from '../core/models.js';
import { ContractBook } from './contracts.js';
import { toWire } from './messages/contract.js';
import type { OrderView, StatusView } from './messages/orders.js';
import { specToIbPrices, specToIbTif } from '../ibkr/order-map.js';
import { TWS_STATUS } from './order-map.js';
import { HistoricalPacer } from './pacing.js';
import { EMPTY_ECHO, type OrderEcho } from './requests.js';
import { toTwsUtc } from '../ibkr/time.js';

/** One order placed through the emulator (or seen at the broker), as TWS clients know it. */
export interface OrderRecord {
  brokerId: string;
  /** The placing client; null for orders placed outside the emulator (REST, CLI), which TWS would show as manual orders. */
  clientId: number | null;
  twsId: number;
  permId: number;
  parentTwsId: number;
  contract: Contract;
  spec: OrderSpec;
  account: string;
  orderRef: string;
  status: string;
  filled: number;
  remaining: number;
  avgFillPrice: number;
  lastFillPrice: number;
  /** Executions so far, for execDetails' cumQty and avgPrice. */
  execQty: number;
  execValue: number;
  /** While the placement is in flight (or its acknowledgement is delayed), updates wait here in order. */
  held: HeldUpdate[] | null;
  /** Drop the openOrder/orderStatus messages that would acknowledge the order (fault injection). */
  dropAck: boolean;
  /** What the client sent that openOrder reports back unchanged (conditions, goodAfterTime, goodTillDate, ...). */
  echo: OrderEcho;
}

/** What the shared state needs from a connected client. */
export interface ClientLink {
  readonly clientId: number;
  orderChanged(record: OrderRecord): void;
  executed(record: OrderRecord, fill: Fill, cumulative: { qty: number; avg: number }): void;
  /** An execution the account made without an order (exercise, assignment, expiry, liquidation). */
  executedWithoutOrder(event: AccountExecution): void;
  accountChanged(accountId: string, conId: number | null): void;
  /** Connectivity lost with data: market data subscriptions end, as after a real 1101. */
  dropMarketData(): void;
  sendInfo(code: number, text: string): void;
  destroy(): void;
}

/** An update waiting for the placement to settle; status updates are the ones an ack fault may drop. */
export interface HeldUpdate {
  kind: 'status' | 'execution';
  run: () => void;
}

export interface Faults {
  ackDelayMs: number;
  dropAcks: number;
  forceDelayed: boolean;
}

export class EmulatorState {
  readonly contracts: ContractBook;
  readonly historicalPacer = new HistoricalPacer();
  readonly faults: Faults = { ackDelayMs: 0, dropAcks: 0, forceDelayed: false };
  readonly links = new Set<ClientLink>();
  /** Lines in use by every client: reqMktData and the streams (market-lines.ts). */
  marketDataLines = 0;
  depthStreams = 0;
  tickByTickStreams = 0;
  /** How often scanner subscriptions send fresh results (real-time ms). */
  scannerRefreshMs = 30_000;

  private readonly byClientId = new Map<number, ClientLink>();
  private readonly orders = new Map<string, OrderRecord>();
  private readonly byTwsId = new Map<string, OrderRecord>();
  private readonly nextIds = new Map<number, number>();
  private permIds = 1_000_001;
  private readonly unsubscribers: (() => void)[] = [];
  /** Executions without an order seen since start, by execId: the fill the broker lists names no contract. */
  private readonly accountExecutions = new Map<string, AccountExecution>();

  constructor(
    readonly broker: Broker,
    readonly clock: Clock,
    readonly maxMarketDataLines: number,
    /** Listed instruments, for symbol search and scanners. */
    readonly universe: readonly Contract[] = [],
  ) {
    this.contracts = new ContractBook(broker);
  }

  start(): void {
    this.unsubscribers.push(
      this.broker.on('orderStatus', (s) => void this.onOrderStatus(s)),
      this.broker.on('fill', (f) => void this.onFill(f)),
      this.broker.on('accountExecution', (e) => this.onAccountExecution(e)),
    );
  }

  stop(): void {
    for (const u of this.unsubscribers.splice(0)) u();
  }

  accounts(): string[] {
    return this.broker.accounts();
  }

  defaultAccount(): string {
    return this.accounts()[0] ?? 'DU0000000';
  }

  /** False when another live connection holds this client id (error 326). */
  claim(link: ClientLink): boolean {
    const holder = this.byClientId.get(link.clientId);
    if (holder && holder !== link) return false;
    this.byClientId.set(link.clientId, link);
    this.links.add(link);
    return true;
  }

  release(link: ClientLink): void {
    this.links.delete(link);
    if (this.byClientId.get(link.clientId) === link) this.byClientId.delete(link.clientId);
  }

  /** Next order id for a client: above every id it used, as a gateway remembers per client id. */
  nextValidId(clientId: number): number {
    return this.nextIds.get(clientId) ?? 1;
  }

  noteOrderId(clientId: number, id: number): void {
    if (id >= this.nextValidId(clientId)) this.nextIds.set(clientId, id + 1);
  }

  newPermId(): number {
    return this.permIds++;
  }

  register(record: OrderRecord): void {
    this.orders.set(record.brokerId, record);
    if (record.clientId !== null) this.byTwsId.set(`${record.clientId}:${record.twsId}`, record);
  }

  byClientOrder(clientId: number, twsId: number): OrderRecord | undefined {
    return this.byTwsId.get(`${clientId}:${twsId}`);
  }

  /** Every order the emulator knows (placed through it or adopted), in placement order. */
  records(): OrderRecord[] {
    return [...this.orders.values()];
  }

  byBrokerId(brokerId: string): OrderRecord | undefined {
    return this.orders.get(brokerId);
  }

  /** A record for an order the emulator did not place, so it can be listed like a TWS manual order. */
  async adopt(state: BrokerOrderState): Promise<OrderRecord | null> {
    const known = this.orders.get(state.orderId);
    if (known) return known;
    let contract = this.contracts.byId(state.conId);
    if (!contract) {
      const found = await this.broker.resolveContracts({ symbol: state.spec.symbol, securityType: state.spec.securityType, ...(state.spec.currency ? { currency: state.spec.currency } : {}) }).catch(() => []);
      contract = found.find((c) => c.conId === state.conId) ?? found[0];
      if (contract) this.contracts.remember(contract);
    }
    if (!contract) return null;
    const record: OrderRecord = {
      brokerId: state.orderId,
      clientId: null,
      twsId: 0,
      permId: this.newPermId(),
      parentTwsId: 0,
      contract,
      spec: state.spec,
      account: state.accountId,
      orderRef: state.orderRef ?? '',
      status: TWS_STATUS[state.status],
      filled: state.filledQuantity,
      remaining: state.remainingQuantity,
      avgFillPrice: state.avgFillPrice ?? 0,
      lastFillPrice: 0,
      execQty: 0,
      execValue: 0,
      held: null,
      dropAck: false,
      // Placed elsewhere (REST, CLI): nothing was sent over this wire, but its time conditions are still reported, in IBKR's UTC form.
      echo: {
        ...EMPTY_ECHO,
        ...(state.spec.goodAfterTime !== undefined ? { goodAfterTime: toTwsUtc(state.spec.goodAfterTime) } : {}),
        ...(state.spec.goodTillDate !== undefined ? { goodTillDate: toTwsUtc(state.spec.goodTillDate) } : {}),
      },
    };
    this.register(record);
    return record;
  }

  linkFor(record: OrderRecord): ClientLink | undefined {
    return record.clientId === null ? undefined : this.byClientId.get(record.clientId);
  }

  /** Runs now, or after the placement settles when the record's updates are being held. */
  deliver(record: OrderRecord, kind: HeldUpdate['kind'], run: () => void): void {
    if (record.held) record.held.push({ kind, run });
    else run();
  }

  private onOrderStatus(state: BrokerOrderState): void {
    const record = this.orders.get(state.orderId);
    if (!record) return;
    record.status = TWS_STATUS[state.status];
    record.filled = state.filledQuantity;
    record.remaining = state.remainingQuantity;
    record.avgFillPrice = state.avgFillPrice ?? record.avgFillPrice;
    // Each update carries the state it announced, even when delivered late (held during a placement): clients see every step, in order.
    const snapshot: OrderRecord = { ...record };
    this.deliver(record, 'status', () => this.linkFor(record)?.orderChanged(snapshot));
  }

  /** The execution without an order with this id, if it happened since the emulator started. */
  accountExecution(execId: string): AccountExecution | undefined {
    return this.accountExecutions.get(execId);
  }

  private onAccountExecution(e: AccountExecution): void {
    this.accountExecutions.set(e.fill.execId, e);
    this.contracts.remember(e.contract);
    for (const link of this.links) link.executedWithoutOrder(e);
  }

  private onFill(fill: Fill): void {
    const record = this.orders.get(fill.orderId);
    if (record) {
      record.lastFillPrice = fill.price;
      record.execQty += fill.quantity;
      record.execValue += fill.quantity * fill.price;
      const cum = { qty: record.execQty, avg: record.execValue / record.execQty };
      this.deliver(record, 'execution', () => this.linkFor(record)?.executed(record, fill, cum));
    }
    const account = record?.account ?? this.defaultAccount();
    for (const link of this.links) link.accountChanged(account, record?.contract.conId ?? null);
  }
}

export function orderView(record: OrderRecord, extra: { whatIf?: boolean; status?: string } = {}): OrderView {
  const t = specToIbPrices(record.spec);
  return {
    orderId: record.twsId,
    clientId: record.clientId ?? 0,
    permId: record.permId,
    parentId: record.parentTwsId,
    contract: toWire(record.contract),
    action: record.spec.action,
    totalQuantity: record.spec.quantity,
    orderType: t.orderType,
    lmtPrice: t.lmtPrice,
    auxPrice: t.auxPrice,
    tif: specToIbTif(record.spec),
    ocaGroup: record.spec.ocaGroup ?? '',
    account: record.account,
    orderRef: record.orderRef,
    outsideRth: record.spec.outsideRth,
    trailStopPrice: t.trailStopPrice,
    trailingPercent: t.trailingPercent,
    lmtPriceOffset: record.spec.limitOffset ?? null,
    whatIf: extra.whatIf ?? false,
    status: extra.status ?? record.status,
    whatIfState: null,
    filledQuantity: record.filled,
    echo: record.echo,
  };
}

export function statusView(record: OrderRecord): StatusView {
  return {
    orderId: record.twsId,
    status: record.status,
    filled: record.filled,
    remaining: record.remaining,
    avgFillPrice: record.avgFillPrice,
    permId: record.permId,
    parentId: record.parentTwsId,
    lastFillPrice: record.lastFillPrice,
    clientId: record.clientId ?? 0,
  };
}
