/**
 * The request-id registry: every TWS request the adapter sends has an id
 * here, mapped to the promise waiting for it (or to the subscription that owns
 * it), with a timeout per request. Errors that TWS sends with a request id are
 * routed to their request; when the socket drops, every request still waiting
 * is failed at once rather than left to time out.
 *
 * Request ids start far above any order id IBKR hands out, because TWS reports
 * errors for requests and for orders with the same "id" field: keeping the two
 * ranges apart is what lets an error be attributed without guessing.
 */
import { BrokerConnectionError, GatewayError } from '../../core/errors.js';
import { classify, ibkrError } from '../../ibkr/error-codes.js';

/** 2^30: order ids from nextValidId stay far below this in practice; request ids stay below 2^31. */
export const FIRST_REQUEST_ID = 1 << 30;

/** What an error handler decided: 'fail' rejects the request with the mapped error; 'handled' leaves it to the handler. */
export type ErrorVerdict = 'fail' | 'handled';

export interface RequestOptions {
  /** 0 = no timeout (subscriptions). */
  timeoutMs: number;
  /** Sees every error/warning sent for this id before the default handling (fatal codes fail the request). */
  onError?: (code: number, message: string) => ErrorVerdict;
  /** Runs once when the request settles in any way (to cancel a subscription at TWS, drop collectors). */
  onSettle?: () => void;
  /** Kept across a disconnect (streaming subscriptions, which their owner re-creates). */
  persistent?: boolean;
}

export interface PendingRequest<T> {
  id: number;
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  readonly settled: boolean;
}

interface Entry {
  kind: string;
  options: RequestOptions;
  timer: ReturnType<typeof setTimeout> | null;
  settle(error: Error | null, value?: unknown): void;
}

export class RequestRegistry {
  private nextId = FIRST_REQUEST_ID;
  private readonly entries = new Map<number, Entry>();

  allocateId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7ffffff0 ? FIRST_REQUEST_ID : this.nextId + 1;
    return id;
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  /** Registers a request; the caller sends it with `id` and settles it from its event handlers. */
  start<T>(kind: string, options: RequestOptions): PendingRequest<T> {
    const id = this.allocateId();
    let resolveFn: (v: T) => void = () => undefined;
    let rejectFn: (e: Error) => void = () => undefined;
    const promise = new Promise<T>((resolve, reject) => {
      resolveFn = resolve;
      rejectFn = reject;
    });
    // A request nobody awaits any more (the caller gave up) must not crash the process with an unhandled rejection.
    promise.catch(() => undefined);
    let settled = false;
    const entry: Entry = {
      kind,
      options,
      timer: null,
      settle: (error, value) => {
        if (settled) return;
        settled = true;
        if (entry.timer) clearTimeout(entry.timer);
        this.entries.delete(id);
        try {
          options.onSettle?.();
        } catch {
          // Clean-up must never stop the caller from being answered.
        }
        if (error) rejectFn(error);
        else resolveFn(value as T);
      },
    };
    if (options.timeoutMs > 0) {
      entry.timer = setTimeout(() => {
        entry.settle(new BrokerConnectionError(`IBKR did not answer the ${kind} request within ${options.timeoutMs} ms`, 'BROKER_TIMEOUT', { reqId: id }));
      }, options.timeoutMs);
      entry.timer.unref();
    }
    this.entries.set(id, entry);
    return {
      id,
      promise,
      resolve: (v) => entry.settle(null, v),
      reject: (e) => entry.settle(e),
      get settled() {
        return settled;
      },
    };
  }

  /** Routes an error that TWS sent with an id; false when no request owns the id (it may be an order id). */
  error(id: number, code: number, message: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    const verdict = entry.options.onError?.(code, message) ?? 'fail';
    if (verdict === 'handled') return true;
    const info = classify(code, message);
    if (info.severity === 'fatal') entry.settle(ibkrError(code, message, { reqId: id, request: entry.kind }));
    return true;
  }

  /** The socket is gone: every waiting request fails now (subscriptions are kept for their owners to renew). */
  failAll(error: GatewayError): void {
    for (const entry of [...this.entries.values()]) {
      if (!entry.options.persistent) entry.settle(error);
    }
  }

  /** Ends everything, subscriptions included (close()). */
  clear(error: GatewayError): void {
    for (const entry of [...this.entries.values()]) entry.settle(error);
  }
}
