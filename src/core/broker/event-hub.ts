/**
 * The listeners behind Broker.on(): one set per event, and delivery that
 * isolates listeners from each other (one that throws neither breaks the
 * broker nor starves the rest). Each broker decides when to deliver: the
 * simulator defers to a microtask so no listener runs inside its matching
 * loop; the tws adapter on the next turn of the event loop, once the TWS
 * messages that raised them are handled.
 */
import type { BrokerEvents, Unsubscribe } from './port.js';

type Listener<E extends keyof BrokerEvents> = (...args: Parameters<BrokerEvents[E]>) => void;

export class BrokerEventHub {
  private readonly listeners: { [E in keyof BrokerEvents]: Set<BrokerEvents[E]> } = { orderStatus: new Set(), fill: new Set(), accountExecution: new Set(), connection: new Set() };

  constructor(private readonly onListenerError: (err: unknown, event: keyof BrokerEvents) => void = () => undefined) {}

  on<E extends keyof BrokerEvents>(event: E, listener: BrokerEvents[E]): Unsubscribe {
    const set = this.listeners[event] as Set<BrokerEvents[E]>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** The listeners of now, bound to this event; null when there are none. Call the result to deliver. */
  prepare<E extends keyof BrokerEvents>(event: E, ...args: Parameters<BrokerEvents[E]>): (() => void) | null {
    const set = this.listeners[event] as Set<Listener<E>>;
    if (set.size === 0) return null;
    const snapshot = [...set];
    return () => {
      for (const listener of snapshot) {
        try {
          listener(...args);
        } catch (err) {
          this.onListenerError(err, event);
        }
      }
    };
  }

  /** Delivers now. */
  emit<E extends keyof BrokerEvents>(event: E, ...args: Parameters<BrokerEvents[E]>): void {
    this.prepare(event, ...args)?.();
  }
}
