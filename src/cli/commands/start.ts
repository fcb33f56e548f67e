/**
 * `start` (alias `start-api`): the REST API (with the MCP endpoint and the
 * dashboard it mounts) on the configured broker. A bad configuration exits 2
 * before anything is started; SIGINT/SIGTERM finish in-flight requests, then
 * close the broker and the audit database.
 */
import type { Command } from 'commander';
import { createClient, serveGateway } from '../../gateway.js';
import type { ResolvedApiKeys } from '../../gateway.js';
import { assertPortFree } from '../../gateway/port.js';
import type { Config } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { createLogger } from '../../core/logging.js';
import type { Health } from '../../core/models.js';
import { paint, processIo, type Io } from '../output.js';
import { EXIT, loadConfig, reportError, UsageError } from '../run.js';
import { readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from '../runtime-file.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .alias('start-api')
    .description('Start the gateway: REST API, MCP over HTTP at /mcp, on the configured broker (BROKER=sim by default)')
    .option('--port <port>', 'override API_PORT')
    .option('--host <host>', 'override API_HOST')
    .action(async (o: { port?: string; host?: string }) => {
      const io = processIo();
      let config: Config;
      try {
        const env = { ...process.env, ...(o.port ? { API_PORT: o.port } : {}), ...(o.host ? { API_HOST: o.host } : {}) };
        process.env = env;
        config = loadConfig();
      } catch (err) {
        reportError(io, err, false);
        return;
      }
      try {
        await run(io, config);
      } catch (err) {
        reportError(io, err, false);
        if (!(err instanceof ConfigError || err instanceof UsageError)) process.exitCode = EXIT.FAILURE;
      }
    });
}

async function run(io: Io, config: Config): Promise<void> {
  // Before anything is opened or created in DATA_DIR: a busy port changes nothing there.
  await assertPortFree(config.api.host, config.api.port);
  const logger = createLogger({ level: config.logLevel, destination: process.stderr, format: config.logFormat });
  // One gateway per data directory: a second would hold a second view of the same orders.
  const existing = readRuntimeFile(config.dataDir);
  if (existing.kind === 'running' && existing.info.pid !== process.pid) {
    throw new UsageError(`A gateway (pid ${existing.info.pid}) already serves DATA_DIR ${config.dataDir} at ${existing.info.url}; stop it first, or use another DATA_DIR`);
  }
  if (existing.kind === 'stale') logger.warn({ pid: existing.info.pid }, 'removing the runtime file of a gateway that is no longer running');
  // Calls that come from no request (none in normal operation: MCP and the dashboard use REST) are the system's.
  const client = await createClient({ config, logger, context: { interface: 'system' } });
  const api = await serveGateway(client, config).catch(async (err: unknown) => {
    await client.close();
    throw err;
  });
  const runtimeFile = writeRuntimeFile(config.dataDir, { url: api.url, pid: process.pid, keyFile: api.keys.generatedKeyFile, broker: config.broker, startedAt: new Date().toISOString() });
  printBanner(io, config, await client.health(), api.url, api.keys);
  io.stderr.write(`  runtime     ${runtimeFile} (the CLI on this DATA_DIR talks to this gateway)\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    void api
      .close()
      .then(() => client.close())
      .then(() => removeRuntimeFile(config.dataDir))
      .then(() => logger.info('stopped cleanly'))
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exitCode = EXIT.FAILURE;
      });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

function printBanner(io: Io, config: Config, health: Health, url: string, keys: ResolvedApiKeys): void {
  const b = (s: string): string => paint(io, 'bold', s);
  const mode = health.effectiveOrderMode === 'TRANSMIT' ? paint(io, config.tradingMode === 'live' ? 'red' : 'green', 'TRANSMIT') : paint(io, 'yellow', health.effectiveOrderMode);
  const lines = [
    `${b('ibkr-gateway')} ${health.version} listening on ${b(url)}`,
    `  dashboard   ${url}/`,
    `  docs        ${url}/docs   (OpenAPI: ${url}/openapi.json${config.api.publicDocs ? '' : '; needs a read key, or PUBLIC_DOCS=true to open them in a browser'})`,
    `  MCP         ${url}/mcp`,
    `  broker      ${config.broker} (${health.broker.state}; accounts ${health.broker.accounts.join(', ') || 'none'})`,
    `  trading     ${config.tradingMode}; orders ${config.ordersEnabled ? 'enabled' : 'disabled (answered SIMULATED)'}; an order now would ${mode}`,
    `  kill switch ${health.killSwitch.engaged ? paint(io, 'red', `ENGAGED: ${health.killSwitch.reason ?? ''}`) : 'released'}`,
    keys.generatedKey
      ? `  API key     ${b(keys.generatedKey)} (admin; generated once, saved in ${keys.generatedKeyFile ?? ''} with mode 0600)`
      : keys.generatedKeyFile
        ? `  API key     in ${keys.generatedKeyFile} (admin)`
        : `  API keys    ${keys.keys.length} from API_KEYS`,
    '  Ctrl-C stops it cleanly.',
  ];
  io.stderr.write(`${lines.join('\n')}\n`);
}
