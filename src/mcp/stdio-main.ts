#!/usr/bin/env node
/**
 * A standalone stdio entry (node dist/mcp/stdio-main.js): the same server as
 * `ibkr-gateway mcp`, without loading the rest of the CLI. Logs go to stderr.
 */
import { ConfigError } from '../core/errors.js';
import { runStdioServer, stdioOptionsFromEnv } from './stdio.js';

try {
  const options = stdioOptionsFromEnv();
  if (options.apiKey === null) process.stderr.write('ibkr-gateway mcp: MCP_API_KEY is not set; every tool call will answer UNAUTHORIZED\n');
  await runStdioServer(options);
  process.stderr.write(`ibkr-gateway mcp: serving on stdio, calling ${options.apiUrl}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
