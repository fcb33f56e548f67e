/** The MCP server: tools and resources over the REST API, served on stdio or mounted on Fastify at /mcp. */
export { createMcpServer, type McpServerOptions } from './server.js';
export { runStdioServer, stdioOptionsFromEnv } from './stdio.js';
export { mountMcpHttp, type McpHttpOptions } from './http-mount.js';
export { ApiCallError, DEFAULT_TIMEOUT_MS, TRANSPORT_ERRORS, type ApiConnection } from './http.js';
