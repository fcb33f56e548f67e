/**
 * The emulator's fault-injection channel for people, not only tests: a tiny
 * HTTP server (loopback by default) so a user rehearsing failure can restart
 * the "gateway", cut its connectivity or lose an acknowledgement while their
 * own TWS API program runs against it.
 *
 *   POST /faults/drop-connections
 *   POST /faults/restart?ms=5000          refuse connections for ms
 *   POST /faults/connectivity/1100|1101|1102
 *   POST /faults/delay-acks?ms=2000       0 turns it off
 *   POST /faults/drop-next-ack
 *   POST /faults/delayed-data?on=true|false
 *   POST /faults/go-silent                current connections stop answering, sockets left open
 *   GET  /status                          { clients }
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TwsEmulator } from './server.js';

export interface AdminChannel {
  readonly port: number;
  close(): Promise<void>;
}

/** A fault request: validates its parameters at once (throwing a RangeError for bad ones) and returns the action to run. */
type Fault = (emulator: TwsEmulator, query: URLSearchParams) => () => unknown;

const ms = (query: URLSearchParams): number => {
  const value = Number(query.get('ms') ?? '');
  if (!Number.isInteger(value) || value < 0 || value > 3_600_000) throw new RangeError('ms must be an integer 0..3600000');
  return value;
};

const FAULTS: Record<string, Fault> = {
  '/faults/drop-connections': (e) => () => e.dropAllConnections(),
  '/faults/restart': (e, q) => {
    const pause = ms(q);
    return () => e.refuseConnectionsFor(pause);
  },
  '/faults/connectivity/1100': (e) => () => e.sendConnectivity(1100),
  '/faults/connectivity/1101': (e) => () => e.sendConnectivity(1101),
  '/faults/connectivity/1102': (e) => () => e.sendConnectivity(1102),
  '/faults/delay-acks': (e, q) => {
    const pause = ms(q);
    return () => e.delayOrderAcks(pause);
  },
  '/faults/drop-next-ack': (e) => () => e.dropNextOrderAck(),
  '/faults/delayed-data': (e, q) => {
    const on = q.get('on') !== 'false';
    return () => e.forceDelayedMarketData(on);
  },
  '/faults/go-silent': (e) => () => e.goSilent(),
};

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function startAdminChannel(emulator: TwsEmulator, options: { port: number; host?: string }): Promise<AdminChannel> {
  // Faults run one after another, each after the previous one finished (a restart once the listener is back), so two overlapping
  // restarts are two restarts in a row instead of two listeners racing for the port.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = (action: () => unknown): void => {
    queue = queue.then(action).catch(() => undefined);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (req.method === 'GET' && url.pathname === '/status') return reply(res, 200, { clients: emulator.clientCount(), tws: { host: emulator.host, port: emulator.port } });
    const fault = FAULTS[url.pathname];
    if (!fault) return reply(res, 404, { error: { code: 'NOT_FOUND', message: `no fault ${url.pathname}; see ${Object.keys(FAULTS).join(', ')}` } });
    if (req.method !== 'POST') return reply(res, 405, { error: { code: 'BAD_REQUEST', message: 'faults are POST requests' } });
    try {
      // The caller is told at once that the fault is accepted; it runs in its turn.
      enqueue(fault(emulator, url.searchParams));
      reply(res, 200, { ok: true, fault: url.pathname });
    } catch (err) {
      reply(res, 400, { error: { code: 'BAD_REQUEST', message: err instanceof Error ? err.message : String(err) } });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())).then(() => queue.then(() => undefined)),
      });
    });
  });
}
