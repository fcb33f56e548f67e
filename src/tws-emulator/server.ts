/**
 * The TCP server: accepts TWS API clients, one Session each, and exposes the
 * fault-injection switches that let tests (and users rehearsing failures)
 * produce what a real gateway produces when things go wrong.
 */
import net from 'node:net';
import type { Broker } from '../core/broker/port.js';
import type { Contract } from '../core/models.js';
import { systemClock, type Clock } from '../core/clock.js';
import { EmulatorState } from './gateway-state.js';
import { MIN_SERVED_VERSION } from './handshake.js';
import { DEFAULT_SERVER_VERSION, Err } from './protocol.js';
import { Session } from './session.js';

export interface TwsEmulatorOptions {
  /** Serve this broker (in practice the simulated broker); it must already be connected. */
  broker: Broker;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Highest server version offered; 176..178, default 178. */
  serverVersion?: number;
  /** Concurrent streaming market data lines across all clients; default 100, as an IBKR account's base allowance. */
  maxMarketDataLines?: number;
  /** Time reported by reqCurrentTime and in timestamps; default the system clock. */
  clock?: Clock;
  /**
   * The listed instruments reqMatchingSymbols and the scanners search (the
   * Broker port resolves contracts but cannot list them); default none, so
   * both answer empty. sim-gateway passes the simulator's catalogue.
   */
  universe?: readonly Contract[];
  /** How often a scanner subscription sends fresh results (ms, real time); default 30 s. */
  scannerRefreshMs?: number;
}

export type ConnectivityCode = 1100 | 1101 | 1102;

export interface TwsEmulator {
  readonly port: number;
  readonly host: string;
  /** Number of connected clients (after START_API). */
  clientCount(): number;
  close(): Promise<void>;
  /** Closes every client connection (clients see a disconnect, as when a gateway exits). */
  dropAllConnections(): void;
  /** A gateway restart: drops every client and refuses connections (ECONNREFUSED) for `ms`; resolves once listening again. */
  refuseConnectionsFor(ms: number): Promise<void>;
  /** Sends 1100 (connectivity lost), 1101 (restored, data lost: market data subscriptions end) or 1102 (restored, data kept) to every client. */
  sendConnectivity(code: ConnectivityCode): void;
  /** Holds each order acknowledgement (openOrder/orderStatus after placeOrder) for `ms`; 0 turns it off. */
  delayOrderAcks(ms: number): void;
  /** The next placed order is accepted by the broker but its acknowledgement never reaches the client. */
  dropNextOrderAck(): void;
  /** Market data requests are answered as for an account without a subscription: 10167 + delayed ticks, or 354 if delayed data was not requested. */
  forceDelayedMarketData(on?: boolean): void;
  /** A hung gateway (or a half-open socket): every current connection stops answering and sending, without being closed; new connections are served. */
  goSilent(): void;
}

export async function startTwsEmulator(options: TwsEmulatorOptions): Promise<TwsEmulator> {
  const serverVersion = options.serverVersion ?? DEFAULT_SERVER_VERSION;
  if (!Number.isInteger(serverVersion) || serverVersion < MIN_SERVED_VERSION || serverVersion > DEFAULT_SERVER_VERSION) {
    throw new RangeError(`serverVersion must be an integer in ${MIN_SERVED_VERSION}..${DEFAULT_SERVER_VERSION}`);
  }
  const host = options.host ?? '127.0.0.1';
  const shared = new EmulatorState(options.broker, options.clock ?? systemClock, options.maxMarketDataLines ?? 100, options.universe ?? []);
  if (options.scannerRefreshMs !== undefined) shared.scannerRefreshMs = options.scannerRefreshMs;
  shared.start();
  const sockets = new Set<net.Socket>();
  const sessions = new Set<Session>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const session = new Session(shared, socket, serverVersion, (s) => sessions.delete(s));
    sessions.add(session);
  });

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });

  const port = await listen(options.port);
  const dropAll = (): void => {
    for (const s of sessions) s.destroy();
    for (const socket of sockets) socket.destroy();
  };
  const stopListening = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

  let closed = false;
  let restarting: Promise<void> = Promise.resolve();
  return {
    port,
    host,
    clientCount: () => shared.links.size,
    async close() {
      if (closed) return;
      closed = true;
      shared.stop();
      dropAll();
      if (server.listening) await stopListening();
    },
    dropAllConnections: dropAll,
    refuseConnectionsFor(ms: number) {
      // Restarts are serialised here too (not only on the admin channel): a second one waits for the first, so the port is never listened on twice.
      restarting = restarting.then(async () => {
        const stopped = server.listening ? stopListening() : Promise.resolve();
        dropAll();
        await stopped;
        await new Promise((resolve) => setTimeout(resolve, ms));
        if (!closed && !server.listening) await listen(port);
      });
      return restarting;
    },
    sendConnectivity(code: ConnectivityCode) {
      const info = code === 1100 ? Err.CONNECTIVITY_LOST : code === 1101 ? Err.RESTORED_DATA_LOST : Err.RESTORED_DATA_KEPT;
      for (const link of shared.links) {
        if (code === 1101) link.dropMarketData();
        link.sendInfo(info.code, info.text);
      }
    },
    delayOrderAcks(ms: number) {
      shared.faults.ackDelayMs = Math.max(0, ms);
    },
    dropNextOrderAck() {
      shared.faults.dropAcks += 1;
    },
    forceDelayedMarketData(on = true) {
      shared.faults.forceDelayed = on;
    },
    goSilent() {
      for (const s of sessions) s.silent = true;
    },
  };
}
