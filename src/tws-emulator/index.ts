/**
 * The TWS emulator: a TWS API (v100+, server version 178) wire-protocol
 * server over any Broker, in practice the simulated broker, so TWS API
 * clients (@stoqey/ib, ib_insync/ib_async, IBKR's own) can be tested end to
 * end without IB Gateway.
 */
export { startTwsEmulator } from './server.js';
export type { ConnectivityCode, TwsEmulator, TwsEmulatorOptions } from './server.js';
export { DEFAULT_SERVER_VERSION } from './protocol.js';
export { MIN_SERVED_VERSION } from './handshake.js';
export { startAdminChannel, type AdminChannel } from './admin-http.js';
