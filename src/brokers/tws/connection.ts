/**
 * The one connection owner. It holds the IBApi client (a fresh one per
 * session, so nothing queued inside a dead client can ever be sent on a new
 * socket), connects with the fixed client id, waits for nextValidId and
 * managedAccounts, lets the broker reconcile before anything else is served,
 * watches for a silent (half-open) socket, reconnects with backoff, and turns
 * IBKR's connectivity notices (1100/1101/1102) into connection states.
 *
 * Every message goes out through the MessagePacer, so the adapter as a whole
 * never exceeds IBKR's message rate whatever its callers do.
 */
import { EventName, IBApi } from '@stoqey/ib';
import type { Clock } from '../../core/clock.js';
import { BrokerConnectionError } from '../../core/errors.js';
import type { ConnectionState } from '../../core/models.js';
import type { ConnectionEvent } from '../../core/broker/port.js';
import { classify } from '../../ibkr/error-codes.js';
import { MessagePacer } from './pacing.js';
import { RequestRegistry } from './requests.js';

export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: number;
  clock: Clock;
  log: Log;
  connectTimeoutMs: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** Silence after which the watchdog probes with reqCurrentTime, and how long the probe may take. */
  watchdog: { idleMs: number; probeTimeoutMs: number };
  messagesPerSecond: number;
  /** Runs after the handshake and before commands are served: reconciliation. */
  onSessionStart: (reconnect: boolean) => Promise<void>;
  /** 1101: connectivity restored but market data subscriptions were lost. */
  onDataLost: () => void;
  /** Broker 'connection' events. */
  onEvent: (event: ConnectionEvent) => void;
}

/** An error TWS sent with an id no request owns: an order id (or a stray). */
export type OrphanErrorListener = (id: number, code: number, message: string) => void;

/**
 * @stoqey/ib queues messages behind a limiter of its own (maxReqPerSec / 10
 * per 100 ms window), stricter in bursts than IBKR's 50 per second; the
 * MessagePacer already keeps every message under IBKR's rule, so the library's
 * limiter is set where it never binds (a whole second's allowance per 100 ms)
 * rather than adding up to 100 ms to a request that IBKR would accept.
 */
const libraryRate = (messagesPerSecond: number): number => messagesPerSecond * 10;

/**
 * Requests are small writes that wait for their answer; with Nagle's algorithm
 * a write that follows one TWS does not answer (a cancel) waits for the
 * delayed ACK, about 40 ms on Linux. @stoqey/ib does not expose its socket, so
 * this reaches for it and does nothing if the library's shape changes.
 */
function disableNagle(ib: IBApi): void {
  const socket = (ib as unknown as { controller?: { socket?: { client?: { setNoDelay?: (on: boolean) => unknown } } } }).controller?.socket?.client;
  if (typeof socket?.setNoDelay === 'function') socket.setNoDelay(true);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export class Connection {
  readonly registry = new RequestRegistry();
  state: ConnectionState = 'disconnected';
  accounts: string[] = [];
  nextValidId: number | null = null;
  lastError: string | null = null;
  serverOffsetMs = 0;
  reconnects = 0;
  lastMessageAt = 0;
  /** Set by 1100, cleared by 1101/1102 or a new session. */
  private degraded = false;

  private ib: IBApi | null = null;
  private generation = 0;
  private closing = false;
  private everConnected = false;
  private reconnecting: Promise<void> | null = null;
  private readonly pacer: MessagePacer;
  private readonly binders: ((ib: IBApi) => void)[] = [];
  private readonly orphanListeners = new Set<OrphanErrorListener>();
  private readonly usableWaiters = new Set<() => void>();
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private probeSentAt: number | null = null;
  /** The current session finished its handshake: a drop from now on is a reconnect, not a failed connect. */
  private handshaken = false;

  constructor(private readonly o: ConnectionOptions) {
    this.pacer = new MessagePacer(o.messagesPerSecond);
  }

  /** Commands are served in these states; 'degraded' serves reads, and the order path holds new orders itself. */
  get usable(): boolean {
    return this.state === 'connected' || this.state === 'degraded';
  }

  /** Event handlers to attach to every IBApi this connection creates. */
  bind(binder: (ib: IBApi) => void): void {
    this.binders.push(binder);
    if (this.ib) binder(this.ib);
  }

  onOrphanError(listener: OrphanErrorListener): () => void {
    this.orphanListeners.add(listener);
    return () => this.orphanListeners.delete(listener);
  }

  /** Sends one message through the pacer; rejects (nothing sent) when the socket is gone before its turn. */
  send(what: string, fn: (ib: IBApi) => void): Promise<void> {
    const generation = this.generation;
    return this.pacer.send(() => {
      const ib = this.ib;
      if (!ib || generation !== this.generation || !ib.isConnected) throw new BrokerConnectionError(`Not connected to IB Gateway/TWS; ${what} was not sent`);
      fn(ib);
    });
  }

  /** Resolves once commands may be served; waits through a reconnect up to `timeoutMs`. */
  async whenUsable(timeoutMs: number): Promise<void> {
    if (this.usable) return;
    if (this.closing || (!this.everConnected && this.state === 'disconnected')) {
      throw new BrokerConnectionError(`IB Gateway/TWS at ${this.o.host}:${this.o.port} is not connected${this.lastError ? ` (${this.lastError})` : ''}`);
    }
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.usableWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.usableWaiters.delete(done);
        reject(new BrokerConnectionError(`IB Gateway/TWS at ${this.o.host}:${this.o.port} is ${this.state}; not usable within ${timeoutMs} ms${this.lastError ? ` (${this.lastError})` : ''}`));
      }, timeoutMs);
      timer.unref();
      this.usableWaiters.add(done);
    });
  }

  serverTime(): number {
    return this.o.clock.now() + this.serverOffsetMs;
  }

  /** First connection: fails (BROKER_UNAVAILABLE) when the gateway cannot be reached; later drops reconnect by themselves. */
  async connect(): Promise<void> {
    if (this.usable || this.state === 'connecting' || this.state === 'reconciling') {
      if (this.usable) return;
      await this.whenUsable(this.o.connectTimeoutMs * 2);
      return;
    }
    this.closing = false;
    await this.session(false);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.stopWatchdog();
    const err = new BrokerConnectionError('Connection to IB Gateway/TWS closed');
    this.pacer.dropQueued(err);
    this.registry.clear(err);
    this.discard();
    if (this.state !== 'disconnected') this.setState('disconnected', 'Closed');
  }

  private setState(state: ConnectionState, message: string | null, code?: number): void {
    const changed = this.state !== state;
    this.state = state;
    if (this.usable) for (const w of [...this.usableWaiters]) w();
    if (changed || code !== undefined) this.o.onEvent(code === undefined ? { state, message } : { state, message, code });
  }

  private discard(): void {
    const ib = this.ib;
    this.ib = null;
    this.generation++;
    if (!ib) return;
    ib.removeAllListeners();
    // A late socket error from the old client must not become an unhandled 'error' event.
    ib.on(EventName.error, () => undefined);
    try {
      ib.disconnect();
    } catch {
      // Already gone.
    }
  }

  /** One session: handshake, reconciliation, then serving. Throws when the handshake fails. */
  private async session(reconnect: boolean): Promise<void> {
    this.discard();
    const generation = this.generation;
    this.setState('connecting', reconnect ? `Reconnecting to ${this.o.host}:${this.o.port}` : `Connecting to ${this.o.host}:${this.o.port}`);
    const ib = new IBApi({ host: this.o.host, port: this.o.port, maxReqPerSec: libraryRate(this.o.messagesPerSecond) });
    this.ib = ib;
    this.degraded = false;
    this.handshaken = false;
    this.accounts = [];
    this.nextValidId = null;
    this.lastMessageAt = Date.now();

    const handshake = new Promise<void>((resolve, reject) => {
      let gotId = false;
      let gotAccounts = false;
      const timer = setTimeout(() => fail(`no nextValidId/managedAccounts within ${this.o.connectTimeoutMs} ms`), this.o.connectTimeoutMs);
      timer.unref();
      const check = (): void => {
        if (gotId && gotAccounts) {
          clearTimeout(timer);
          resolve();
        }
      };
      const fail = (why: string): void => {
        clearTimeout(timer);
        reject(new BrokerConnectionError(`Cannot connect to IB Gateway/TWS at ${this.o.host}:${this.o.port}: ${why}`, 'BROKER_UNAVAILABLE'));
      };
      ib.once(EventName.nextValidId, () => {
        gotId = true;
        check();
      });
      ib.once(EventName.managedAccounts, () => {
        gotAccounts = true;
        check();
      });
      ib.on(EventName.error, (err: unknown, code: unknown) => {
        if (typeof code === 'number' && classify(code).action === 'socketDown') fail(err instanceof Error ? err.message : String(err));
      });
      ib.on(EventName.info, (message: unknown, code: unknown) => {
        if (code === 326) fail(String(message));
      });
      ib.once(EventName.disconnected, () => fail('the connection was closed during the handshake'));
    });

    this.attach(ib, generation);
    for (const b of this.binders) b(ib);
    ib.connect(this.o.clientId);
    disableNagle(ib);
    try {
      await handshake;
    } catch (err) {
      if (generation === this.generation) this.discard();
      this.lastError = err instanceof Error ? err.message : String(err);
      this.setState(this.everConnected && !this.closing ? 'connecting' : 'disconnected', this.lastError);
      throw err;
    }
    if (generation !== this.generation) throw new BrokerConnectionError('Connection replaced during the handshake');
    this.everConnected = true;
    this.handshaken = true;
    this.setState('reconciling', 'Reconciling positions, open orders and executions before accepting commands');
    try {
      await this.o.onSessionStart(reconnect);
    } catch (err) {
      // A reconciliation that could not finish is reported, not fatal: the next reconnect or the core's own pass retries it.
      this.lastError = `Reconciliation incomplete: ${err instanceof Error ? err.message : String(err)}`;
      this.o.log.warn({ err }, 'tws reconciliation incomplete');
    }
    if (generation !== this.generation) throw new BrokerConnectionError('Connection lost during reconciliation');
    this.startWatchdog(generation);
    if (this.degraded) this.setState('degraded', 'Connectivity between IBKR and the gateway is lost (1100); new orders are held', 1100);
    else this.setState('connected', reconnect ? 'Reconnected and reconciled' : 'Connected');
  }

  private attach(ib: IBApi, generation: number): void {
    const current = (): boolean => generation === this.generation;
    // Only bytes from the gateway prove it alive: 'all' also carries the client's own 'sent' events (the watchdog's probe among them).
    ib.on(EventName.received, () => {
      if (!current()) return;
      this.lastMessageAt = Date.now();
      this.probeSentAt = null;
    });
    ib.on(EventName.nextValidId, (id: number) => {
      if (current()) this.nextValidId = Math.max(this.nextValidId ?? 0, id);
    });
    ib.on(EventName.managedAccounts, (list: string) => {
      if (current()) this.accounts = list.split(',').map((a) => a.trim()).filter((a) => a !== '');
    });
    ib.on(EventName.currentTime, (seconds: number) => {
      if (!current()) return;
      const offset = seconds * 1000 - this.o.clock.now();
      // Whole-second resolution: only a real difference of clocks is worth correcting.
      this.serverOffsetMs = Math.abs(offset) > 2000 ? offset : 0;
    });
    ib.on(EventName.error, (err: unknown, code: unknown, reqId: unknown) => {
      if (!current()) return;
      const c = typeof code === 'number' ? code : -1;
      const id = typeof reqId === 'number' ? reqId : -1;
      const message = err instanceof Error ? err.message : String(err);
      if (id >= 0 && this.registry.error(id, c, message)) return;
      if (id >= 0) {
        for (const l of this.orphanListeners) l(id, c, message);
        return;
      }
      this.onNotice(c, message);
    });
    ib.on(EventName.info, (message: unknown, code: unknown) => {
      if (current()) this.onNotice(typeof code === 'number' ? code : -1, String(message));
    });
    ib.on(EventName.disconnected, () => {
      if (current() && this.handshaken) this.onDrop('The connection to IB Gateway/TWS was closed');
    });
  }

  /** Notices without a request id: connectivity, farms, socket failures. */
  private onNotice(code: number, message: string): void {
    const info = classify(code, message);
    switch (info.action) {
      case 'connectionLost':
        this.degraded = true;
        this.lastError = message;
        if (this.usable) this.setState('degraded', message, code);
        return;
      case 'connectionRestoredDataLost':
      case 'connectionRestoredDataKept':
        this.degraded = false;
        if (this.usable) this.setState('connected', message, code);
        if (info.action === 'connectionRestoredDataLost') this.o.onDataLost();
        return;
      case 'socketDown':
        this.lastError = message;
        return;
      default:
        if (info.severity === 'info') this.o.log.debug({ code, message }, 'tws notice');
        else this.o.log.warn({ code, message }, 'tws warning');
    }
  }

  private onDrop(why: string): void {
    if (this.closing) return;
    this.lastError = why;
    this.stopWatchdog();
    const err = new BrokerConnectionError(`${why}; reconnecting`);
    this.pacer.dropQueued(err);
    this.registry.failAll(err);
    this.discard();
    this.setState('connecting', `${why}; reconnecting`);
    void this.reconnectLoop();
  }

  private reconnectLoop(): Promise<void> {
    if (this.reconnecting) return this.reconnecting;
    this.reconnecting = (async () => {
      let delay = this.o.reconnect.initialDelayMs;
      while (!this.closing) {
        await sleep(delay);
        if (this.closing) break;
        try {
          await this.session(true);
          this.reconnects++;
          break;
        } catch (err) {
          this.o.log.warn({ err: err instanceof Error ? err.message : String(err), delay }, 'tws reconnect failed');
          delay = Math.min(this.o.reconnect.maxDelayMs, Math.max(1, delay * 2));
        }
      }
    })().finally(() => {
      this.reconnecting = null;
    });
    return this.reconnecting;
  }

  private startWatchdog(generation: number): void {
    this.stopWatchdog();
    const { idleMs, probeTimeoutMs } = this.o.watchdog;
    this.watchdog = setInterval(() => {
      if (generation !== this.generation || !this.ib) return;
      const now = Date.now();
      if (this.probeSentAt !== null) {
        if (now - this.probeSentAt > probeTimeoutMs) this.onDrop(`No answer from IB Gateway/TWS for ${now - this.lastMessageAt} ms (half-open socket)`);
        return;
      }
      if (now - this.lastMessageAt >= idleMs) {
        this.probeSentAt = now;
        // Straight to the socket, not through the pacer: a probe stuck behind a queue would prove nothing.
        try {
          this.ib.reqCurrentTime();
        } catch {
          this.onDrop('Could not write to the IB Gateway/TWS socket');
        }
      }
    }, Math.max(50, Math.min(idleMs, probeTimeoutMs) / 2));
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.probeSentAt = null;
  }
}
