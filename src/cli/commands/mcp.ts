/**
 * `mcp`: the MCP server on stdio, for Claude Desktop / Claude Code. It calls
 * the REST API at MCP_API_URL with MCP_API_KEY, so the gateway (ibkr-gateway
 * start) must be running. stdout is the protocol: everything else goes to stderr.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { runMcpStdio } from '../../gateway.js';
import { EXIT } from '../run.js';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('Serve the MCP server on stdio for AI agents; it calls the REST API at MCP_API_URL with the key in MCP_API_KEY')
    .option('--api-url <url>', 'REST API to call (overrides MCP_API_URL)')
    .option('--timeout-ms <ms>', 'deadline per REST call in ms (default 10000; MCP_TIMEOUT_MS)')
    .action(async (o: { apiUrl?: string; timeoutMs?: string }) => {
      let timeoutMs: number | undefined;
      if (o.timeoutMs !== undefined) {
        timeoutMs = Number(o.timeoutMs);
        if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
          process.stderr.write(`--timeout-ms must be a positive integer, got ${o.timeoutMs}\n`);
          process.exitCode = EXIT.CONFIG;
          return;
        }
      }
      try {
        const served = await runMcpStdio({
          env: o.apiUrl === undefined ? process.env : { ...process.env, MCP_API_URL: o.apiUrl },
          timeoutMs,
          onMissingKey: () => process.stderr.write('ibkr-gateway mcp: MCP_API_KEY is not set; every tool call will answer UNAUTHORIZED\n'),
        });
        process.stderr.write(`ibkr-gateway mcp: serving on stdio, calling ${served.apiUrl}\n`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = EXIT.CONFIG;
      }
    });
}
