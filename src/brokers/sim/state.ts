/**
 * What the parts of the simulated broker share: its options and clock, the
 * market model and instrument catalogue, the open store (while connected), the
 * working orders in memory, and event delivery.
 *
 * Events are delivered on a microtask after the state change that caused them
 * is committed: a listener that calls back into the broker (to place or cancel)
 * never runs in the middle of the matching loop.
 */
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { AccountError, BrokerConnectionError, ContractResolutionError } from '../../core/errors.js';
import type { BrokerStatus, Contract } from '../../core/models.js';
import type { BrokerEvents, BrokerOrderState } from '../../core/broker/port.js';
import { BrokerEventHub } from '../../core/broker/event-hub.js';
import type { Instrument } from './catalogue.js';
import type { CommissionPlan } from './commissions.js';
import { Instruments } from './instruments.js';
import { Market } from './market.js';
import type { SessionMode } from './sessions.js';
import type { SimOrderRecord, SimStore } from './store.js';

export interface SimBrokerOptions {
  dataDir: string;
  seed: number;
  session: SessionMode;
  startingCash: number;
  /** Base currency of a fresh account (SIM_BASE_CURRENCY); default USD. An existing account keeps the one it was created with. */
  baseCurrency?: string;
  /** Daily interest and borrow fees (financing.ts); default true. */
  financing?: boolean;
  /** IBKR Pro pricing plan; default 'fixed'. */
  commissionPlan?: CommissionPlan;
  clock?: Clock;
  /** Default 'DU1234567' (IBKR paper account ids start with D). */
  accountId?: string;
  /** How often the tick loop runs on the system clock; default 1000 ms. */
  tickIntervalMs?: number;
  /** Half-life of the book's recovery after an order takes liquidity; default 30 000 ms (SIM_DEPTH_HALF_LIFE_MS). */
  depthHalfLifeMs?: number;
}

/** Liquidity taken from one instrument's book, not yet replenished, as of `t`. */
export interface Depletion {
  t: number;
  bid: number;
  ask: number;
}

export class SimState {
  readonly clock: Clock;
  readonly accountId: string;
  readonly tickIntervalMs: number;
  readonly depthHalfLifeMs: number;
  /** Per conId: what orders took from the book and is still refilling (impact persists for a few half-lives). */
  readonly depletion = new Map<number, Depletion>();
  readonly market: Market;
  readonly instruments: Instruments;
  store: SimStore | null = null;
  connection: BrokerStatus['state'] = 'disconnected';
  /** Working (non-terminal) orders, in arrival order: time priority. */
  readonly open = new Map<string, SimOrderRecord>();
  // A failing listener must not break the simulator or starve the other listeners.
  readonly events = new BrokerEventHub();

  constructor(readonly options: SimBrokerOptions) {
    this.clock = options.clock ?? systemClock;
    this.accountId = options.accountId ?? 'DU1234567';
    this.tickIntervalMs = Math.max(10, options.tickIntervalMs ?? 1000);
    this.depthHalfLifeMs = Math.max(1, options.depthHalfLifeMs ?? 30_000);
    this.market = new Market(options.seed, options.session);
    this.instruments = new Instruments(this.market, () => this.clock.now());
  }

  /**
   * Delivered on a microtask, after the change is committed: a listener never runs inside the matching loop.
   * A new order's events wait for the commit of the transaction it shares with the turn's other new orders
   * (SimStore.folded), and are dropped if that rolls back.
   */
  emit<E extends keyof BrokerEvents>(event: E, ...args: Parameters<BrokerEvents[E]>): void {
    const deliver = this.events.prepare(event, ...args);
    if (deliver && !this.store?.deferDelivery(deliver)) queueMicrotask(deliver);
  }

  requireStore(): SimStore {
    if (this.connection !== 'connected' || !this.store) throw new BrokerConnectionError('Simulated broker is not connected; call connect() first');
    return this.store;
  }

  /**
   * Resolves once `orderId` can be found if it is being placed: while sim.db's writes are held for a WAL
   * checkpoint's last pass, a new order waits before its transaction (order-book.ts placeOrder), so a cancel or
   * modify of it asked for meanwhile waits too. It waits on the same promise, behind the placement (promise
   * reactions run in the order they were added), so it finds the order placed, not "not found". A working order,
   * or no hold, goes on at once.
   */
  async placedOrWaited(orderId: string): Promise<void> {
    const held = this.requireStore().writesHeld();
    if (held !== null && !this.open.has(orderId)) await held;
  }

  requireAccount(accountId: string): void {
    if (accountId !== this.accountId) throw new AccountError(`Account ${accountId} is not managed by this connection (managed: ${this.accountId})`, 'ACCOUNT_NOT_FOUND', { accountId });
  }

  instrument(contract: Contract): Instrument {
    const inst = this.instruments.forContract(contract);
    if (!inst) throw new ContractResolutionError(`No security definition has been found for conId ${contract.conId} (${contract.symbol})`, 'CONTRACT_NOT_FOUND', { conId: contract.conId });
    return inst;
  }
}

export const cloneState = (s: BrokerOrderState): BrokerOrderState => ({ ...s, spec: { ...s.spec } });
