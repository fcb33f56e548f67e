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

type Fault = (emulator: TwsEmulator, query: URLSearchParams) => unknown;

const ms = (query: URLSearchParams): number => {
  const value = Number(query.get('ms') ?? '');
  if (!Number.isInteger(value) || value < 0 || value > 3_600_000) throw new RangeError('ms must be an integer 0..3600000');
  return value;
};

const FAULTS: Record<string, Fault> = {
  '/faults/drop-connections': (e) => e.dropAllConnections(),
  // Not awaited: the caller is told at once; the listener comes back by itself.
  '/faults/restart': (e, q) => void e.refuseConnectionsFor(ms(q)),
  '/faults/connectivity/1100': (e) => e.sendConnectivity(1100),
  '/faults/connectivity/1101': (e) => e.sendConnectivity(1101),
  '/faults/connectivity/1102': (e) => e.sendConnectivity(1102),
  '/faults/delay-acks': (e, q) => e.delayOrderAcks(ms(q)),
  '/faults/drop-next-ack': (e) => e.dropNextOrderAck(),
  '/faults/delayed-data': (e, q) => e.forceDelayedMarketData(q.get('on') !== 'false'),
  '/faults/go-silent': (e) => e.goSilent(),
};

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function startAdminChannel(emulator: TwsEmulator, options: { port: number; host?: string }): Promise<AdminChannel> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (req.method === 'GET' && url.pathname === '/status') return reply(res, 200, { clients: emulator.clientCount(), tws: { host: emulator.host, port: emulator.port } });
    const fault = FAULTS[url.pathname];
    if (!fault) return reply(res, 404, { error: { code: 'NOT_FOUND', message: `no fault ${url.pathname}; see ${Object.keys(FAULTS).join(', ')}` } });
    if (req.method !== 'POST') return reply(res, 405, { error: { code: 'BAD_REQUEST', message: 'faults are POST requests' } });
    try {
      fault(emulator, url.searchParams);
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
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
