/**
 * Is the API port free? `start` asks before it opens anything (the audit log,
 * the simulated account, the generated API key), so a port already in use
 * leaves DATA_DIR as it was and says which port and what to change.
 */
import { createServer } from 'node:net';
import { ConfigError } from '../core/errors.js';

/** The start-up error for a port that cannot be bound: exit 2 like any configuration error. */
export function portError(host: string, port: number, err: unknown): ConfigError | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return new ConfigError('API_PORT', `Port ${port} on ${host} is already in use (another ibkr-gateway?): stop that process, or choose another port with API_PORT=${port + 1} (or --port ${port + 1})`);
  }
  if (code === 'EACCES') return new ConfigError('API_PORT', `Port ${port} on ${host} needs privileges this process lacks: choose a port above 1023 with API_PORT (or --port)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ConfigError('API_HOST', `Cannot listen on ${host}: it is not an address of this machine; set API_HOST (or --host)`);
  return null;
}

/** Binds host:port for a moment and lets go; throws the ConfigError above when it cannot. Port 0 (any free port) always passes. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(portError(host, port, err) ?? err));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
