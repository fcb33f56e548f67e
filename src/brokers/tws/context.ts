/**
 * What every part of the adapter shares: the connection, the clock, the log,
 * the request timeout, and a way to raise the Broker's events.
 */
import type { Clock } from '../../core/clock.js';
import type { BrokerEvents } from '../../core/broker/port.js';
import type { Connection, Log } from './connection.js';

export interface TwsContext {
  conn: Connection;
  clock: Clock;
  log: Log;
  requestTimeoutMs: number;
  emit<E extends keyof BrokerEvents>(event: E, ...args: Parameters<BrokerEvents[E]>): void;
  /** Server time as an ISO string (the gateway's clock, learned from currentTime). */
  nowIso(): string;
}
