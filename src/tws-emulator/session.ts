/**
 * One client connection: the handshake, START_API and client id uniqueness,
 * message pacing, dispatch to the handlers, and the per-connection
 * subscriptions (market data, account, positions, PnL) that end with it.
 */
import type net from 'node:net';
import type { Contract, Fill, OrderSpec, Quote } from '../core/models.js';
import type { PlaceOrderRequestWire } from './requests.js';
import type { AccountExecution, Unsubscribe } from '../core/broker/port.js';
import type { ClientLink, EmulatorState, OrderRecord } from './gateway-state.js';
import { encodeFrame, FieldReader, FrameError, FrameReader, type Field, type Frame } from './framing.js';
import { negotiateVersion, connectionTime } from './handshake.js';
import { accountHandlers, sendAccountChange } from './handlers/account.js';
import { accountMultiHandlers, type MultiSubscription } from './handlers/account-multi.js';
import { referenceHandlers } from './handlers/reference.js';
import { historyTickHandlers } from './handlers/history-ticks.js';
import { scannerHandlers } from './handlers/scanner.js';
import { streamHandlers } from './handlers/streams.js';
import { marketHandlers } from './handlers/market.js';
import { orderHandlers, sendExecution, sendOrderUpdate } from './handlers/orders.js';
import { sendAccountExecution } from './handlers/account-executions.js';
import { unsupportedRequest } from './handlers/unsupported.js';
import { errorMessage } from './messages/errors.js';
import { managedAccountsMessage, nextValidIdMessage } from './messages/account.js';
import { MessageRateLimiter } from './pacing.js';
import { Err, MarketDataKind, NO_ID, Req } from './protocol.js';

export type Handler = (session: Session, reader: FieldReader) => void | Promise<void>;

/** An order sent with transmit=false (a bracket's entry or a child before the last), waiting for the leg that transmits. */
export interface Untransmitted {
  order: PlaceOrderRequestWire;
  contract: Contract;
  spec: OrderSpec;
  account: string;
  /** The children attached so far (entries only; null for a child). */
  children: Untransmitted[] | null;
}

export interface MarketSubscription {
  unsubscribe: Unsubscribe;
  last: Quote | null;
  kind: number;
}

export class Session implements ClientLink {
  clientId = -1;
  serverVersion = 0;
  marketDataType: number = MarketDataKind.REALTIME;
  readonly market = new Map<number, MarketSubscription>();
  /** Historical requests still being computed, by reqId: cancelHistoricalData (or the connection closing) aborts the work. */
  readonly historical = new Map<number, AbortController>();
  readonly summaries = new Set<number>();
  readonly pnl = new Map<number, NodeJS.Timeout>();
  /** Orders held with transmit=false, by TWS order id; they go with the connection, as TWS drops untransmitted API orders. */
  readonly untransmitted = new Map<number, Untransmitted>();
  accountUpdates: string | null = null;
  positions = false;
  readonly positionsMulti = new Map<number, MultiSubscription>();
  readonly accountMulti = new Map<number, MultiSubscription>();
  readonly scanners = new Set<number>();
  /** Depth, real-time bar and tick-by-tick subscriptions, by "kind:reqId". */
  readonly streams = new Map<string, Unsubscribe>();

  private state: 'handshake' | 'start' | 'ready' | 'closed' = 'handshake';
  private readonly reader = new FrameReader();
  private readonly rate = new MessageRateLimiter();
  private readonly handlers: Map<number, Handler>;
  /** Requests run one after another, in arrival order, as a gateway answers them. */
  private queue: Promise<void> = Promise.resolve();
  private rateWarned = false;
  private finished = false;

  constructor(
    readonly shared: EmulatorState,
    private readonly socket: net.Socket,
    private readonly maxServerVersion: number,
    private readonly onClose: (s: Session) => void,
  ) {
    this.handlers = new Map([...marketHandlers, ...orderHandlers, ...accountHandlers, ...accountMultiHandlers, ...referenceHandlers, ...historyTickHandlers, ...scannerHandlers, ...streamHandlers]);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.closed());
    socket.on('error', () => this.closed());
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Fault injection: a hung gateway. Nothing is read or written any more, but the socket stays open. */
  silent = false;

  send(fields: Field[]): void {
    if (this.state === 'closed' || this.socket.destroyed || this.silent) return;
    this.socket.write(encodeFrame(fields));
  }

  error(id: number, code: number, text: string): void {
    this.send(errorMessage(this.serverVersion, id, code, text));
  }

  sendInfo(code: number, text: string): void {
    this.error(NO_ID, code, text);
  }

  destroy(): void {
    this.socket.destroy();
    this.closed();
  }

  // ClientLink: order and account events from the shared state.
  orderChanged(record: OrderRecord): void {
    sendOrderUpdate(this, record);
  }

  executed(record: OrderRecord, fill: Fill, cumulative: { qty: number; avg: number }): void {
    sendExecution(this, NO_ID, record, fill, cumulative);
  }

  executedWithoutOrder(event: AccountExecution): void {
    sendAccountExecution(this, NO_ID, event);
  }

  accountChanged(accountId: string, conId: number | null): void {
    void sendAccountChange(this, accountId, conId);
  }

  dropMarketData(): void {
    this.cancelAllMarketData();
  }

  cancelMarketData(reqId: number): boolean {
    const sub = this.market.get(reqId);
    if (!sub) return false;
    sub.unsubscribe();
    this.market.delete(reqId);
    this.shared.marketDataLines = Math.max(0, this.shared.marketDataLines - 1);
    return true;
  }

  private cancelAllMarketData(): void {
    for (const id of [...this.market.keys()]) this.cancelMarketData(id);
  }

  private onData(chunk: Buffer): void {
    if (this.silent) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      // A client that does not speak the v100+ protocol gets the connection closed, as a gateway does.
      if (err instanceof FrameError) this.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.state === 'closed') return;
      if (frame.kind === 'handshake') this.onHandshake(frame.versions);
      else this.onMessage(frame.fields);
    }
  }

  private onHandshake(versions: string): void {
    const version = negotiateVersion(versions, this.maxServerVersion);
    if (version === null) {
      this.destroy();
      return;
    }
    this.serverVersion = version;
    this.state = 'start';
    this.send([version, connectionTime(this.shared.clock.now())]);
  }

  private onMessage(fields: string[]): void {
    const r = new FieldReader(fields);
    const id = r.int();
    if (this.state === 'start') {
      if (id === Req.START_API) this.onStartApi(r);
      return; // nothing else is served before START_API
    }
    if (this.state !== 'ready') return;
    const { verdict, count } = this.rate.hit();
    if (verdict === 'disconnect') {
      this.destroy();
      return;
    }
    if (verdict === 'exceeded') {
      if (!this.rateWarned) this.error(NO_ID, Err.MAX_RATE.code, `${Err.MAX_RATE.text}${count}`);
      this.rateWarned = true;
      return;
    }
    this.rateWarned = false;
    const handler = this.handlers.get(id) ?? unsupportedRequest(id);
    this.queue = this.queue
      .then(() => handler(this, r))
      .catch((err: unknown) => {
        // A failing handler must not end the connection: a gateway answers with an error and keeps serving.
        this.error(NO_ID, Err.VALIDATION.code, `${Err.VALIDATION.text}${err instanceof Error ? err.message : String(err)}`);
      });
  }

  private onStartApi(r: FieldReader): void {
    r.skip(1); // version
    this.clientId = r.int();
    if (!this.shared.claim(this)) {
      this.error(NO_ID, Err.CLIENT_ID_IN_USE.code, Err.CLIENT_ID_IN_USE.text);
      // Let the error reach the client before the connection goes, as a gateway does.
      this.state = 'closed';
      this.socket.end();
      return;
    }
    this.state = 'ready';
    this.send(managedAccountsMessage(this.shared.accounts()));
    this.send(nextValidIdMessage(this.shared.nextValidId(this.clientId)));
    for (const info of [Err.MARKET_FARM_OK, Err.HMDS_FARM_OK, Err.SECDEF_FARM_OK]) this.sendInfo(info.code, info.text);
  }

  private closed(): void {
    if (this.finished) return;
    this.finished = true;
    this.state = 'closed';
    this.cancelAllMarketData();
    for (const stop of this.streams.values()) stop();
    this.streams.clear();
    for (const work of this.historical.values()) work.abort(new Error('the client disconnected'));
    this.historical.clear();
    for (const t of this.pnl.values()) clearInterval(t);
    this.pnl.clear();
    // Safe for a refused duplicate: release only frees the id if this connection held it.
    this.shared.release(this);
    this.onClose(this);
  }
}
