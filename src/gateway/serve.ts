/**
 * What `start` serves: the REST API with the MCP endpoint (/mcp) and the
 * dashboard (/) mounted beside it. The API itself imports neither; this is
 * where they meet. Fastify, the MCP SDK and the dashboard load only here.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ResolvedApiKeys } from '../api/index.js';

export type { ResolvedApiKeys };
import type { GatewayClient } from '../core/client/interface.js';
import type { Config } from '../core/config.js';
import { portError } from './port.js';

export interface ServedGateway {
  url: string;
  app: FastifyInstance;
  /** The keys in force: from API_KEYS, or the generated admin key. */
  keys: ResolvedApiKeys;
  close(): Promise<void>;
}

export async function serveGateway(client: GatewayClient, config: Config): Promise<ServedGateway> {
  const [{ buildApiServer, resolveApiKeys }, { mountMcpHttp }, { registerDashboard }] = await Promise.all([
    import('../api/index.js'),
    // Only the mount: the MCP SDK itself loads at the first /mcp request (http-mount.ts).
    import('../mcp/http-mount.js'),
    import('../web/index.js'),
  ]);
  const keys = resolveApiKeys(config);
  // The parent of each request's logger (api/context.ts): its warnings and errors, and its debug lines only when verbose.
  const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
  const app = await buildApiServer(client, { apiKeys: keys.keys, logger: verbose ? client.logger : client.logger.child({}, { level: 'warn' }) });
  mountMcpHttp(app);
  await registerDashboard(app);
  await app.listen({ host: config.api.host, port: config.api.port }).catch(async (err: unknown) => {
    await app.close();
    throw portError(config.api.host, config.api.port, err) ?? err;
  });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, app, keys, close: () => app.close() };
}
