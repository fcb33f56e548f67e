/** The REST API: build or start the Fastify server over a GatewayClient. */
export { buildApiServer, startApiServer, type ApiServerOptions, type RunningApiServer, type StartApiServerOptions } from './server.js';
export { resolveApiKeys, GENERATED_KEY_FILE, type ResolvedApiKeys } from './keys.js';
export { CORRELATION_HEADER } from './context.js';
