/**
 * The Broker port: the interface the core depends on, its events and the
 * types that cross it. Backends (brokers/sim, brokers/tws) implement it; the
 * core never imports a backend.
 */
export type * from './port.js';
export { BrokerEventHub } from './event-hub.js';
