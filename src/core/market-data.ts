/**
 * Quotes, streams and historical bars.
 *
 * QuoteHub keeps one broker subscription per instrument however many
 * listeners there are (SSE clients, dashboard tabs), and releases it when the
 * last listener leaves: IBKR counts market data lines per subscription.
 */
import type { Broker, Unsubscribe } from './broker/port.js';
import type { Logger } from './logging.js';
import type { Quote } from './models.js';
import type { Contract } from './models.js';

interface Channel {
  listeners: Set<(quote: Quote) => void>;
  release: Unsubscribe;
  last: Quote | null;
}

export class QuoteHub {
  private readonly channels = new Map<number, Channel>();

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  subscribe(contract: Contract, listener: (quote: Quote) => void): Unsubscribe {
    let channel = this.channels.get(contract.conId);
    if (!channel) {
      const listeners = new Set<(quote: Quote) => void>();
      const created: Channel = { listeners, last: null, release: () => undefined };
      created.release = this.broker.subscribeQuotes(contract, (quote) => {
        created.last = quote;
        for (const l of listeners) {
          try {
            l(quote);
          } catch (err) {
            // One failing listener must not starve the others.
            this.logger.warn({ err, conId: contract.conId }, 'quote listener failed');
          }
        }
      });
      this.channels.set(contract.conId, created);
      channel = created;
    }
    channel.listeners.add(listener);
    if (channel.last) listener(channel.last);
    let active = true;
    const ch = channel;
    return () => {
      if (!active) return;
      active = false;
      ch.listeners.delete(listener);
      if (ch.listeners.size === 0) {
        this.channels.delete(contract.conId);
        ch.release();
      }
    };
  }

  /** Number of broker subscriptions currently open. */
  get subscriptionCount(): number {
    return this.channels.size;
  }

  closeAll(): void {
    for (const ch of this.channels.values()) ch.release();
    this.channels.clear();
  }
}
