/**
 * How a CLI command runs: find the gateway to talk to, run, close, and turn
 * failures into one clear line and an exit code. Exit codes: 0 success,
 * 1 failure (an error from the gateway or an unhealthy check), 2 bad
 * configuration or usage (VALIDATION_ERROR included).
 *
 * Which gateway: the one named by --api-url / IBKR_GATEWAY_URL, else the one
 * DATA_DIR/gateway.json says is running (its process alive), over REST;
 * only when there is none does the command open the broker itself (with a
 * spinner while it connects). So the CLI works beside a running gateway, and
 * both share one set of limits, one kill switch and one order history.
 */
import { readFileSync } from 'node:fs';
import { createClient } from '../gateway.js';
import { loadEnv, parseConfig, type ApiScope, type Config } from '../core/config.js';
import { ConfigError, GatewayError, ValidationError } from '../core/errors.js';
import type { GatewayClient } from '../core/client/interface.js';
import { createLogger, newCorrelationId, type Logger, type RequestContext } from '../core/logging.js';
import { paint, printJson, processIo, withSpinner, type Io } from './output.js';
import { localGateway, remoteGateway, type CliGateway } from './remote.js';
import { readRuntimeFile, runtimeFilePath } from './runtime-file.js';

export const EXIT = { OK: 0, FAILURE: 1, CONFIG: 2 } as const;

/** A command used wrongly (exit 2), as opposed to a gateway error (exit 1). */
export class UsageError extends Error {}

/** Config from the environment; the CLI logs to stderr so stdout stays data. */
export function loadConfig(): Config {
  return parseConfig(loadEnv());
}

/**
 * A command prints its own result, so its log shows only errors unless
 * LOG_LEVEL asks for more; on a terminal as readable lines (LOG_FORMAT).
 */
export function cliLogger(config: Config): Logger {
  return createLogger({ level: process.env.LOG_LEVEL?.trim() ? config.logLevel : 'error', destination: process.stderr, format: config.logFormat });
}

export interface GatewayTarget {
  url: string;
  apiKey: string | null;
  /** How it was found, for messages: 'IBKR_GATEWAY_URL' or the runtime file's path. */
  source: string;
}

/** The running gateway this CLI should talk to, or null when it should open the broker itself. */
export function findGateway(config: Config, prefer?: ApiScope): GatewayTarget | null {
  const key = config.cli.gatewayApiKey;
  const explicit = config.cli.gatewayUrl;
  if (explicit !== null) return { url: explicit, apiKey: key ?? configuredKey(config, prefer), source: 'IBKR_GATEWAY_URL' };
  const found = readRuntimeFile(config.dataDir);
  if (found.kind !== 'running') return null;
  // A command that needs `prefer` (approve) takes a configured key holding it over the generated admin key.
  const preferred = prefer !== undefined && (config.api.keys ?? []).some((k) => k.scopes.has(prefer)) ? configuredKey(config, prefer) : null;
  return { url: found.info.url, apiKey: key ?? preferred ?? keyFromFile(found.info.keyFile) ?? configuredKey(config), source: runtimeFilePath(config.dataDir) };
}

/** The key in API_KEYS holding `prefer` (approve commands), else the strongest (admin, else trade, else any): the CLI acts for the person at the terminal. */
function configuredKey(config: Config, prefer?: ApiScope): string | null {
  const keys = config.api.keys ?? [];
  const preferred = prefer !== undefined ? keys.find((k) => k.scopes.has(prefer) && k.agent !== true) : undefined;
  return (preferred ?? keys.find((k) => k.scopes.has('admin')) ?? keys.find((k) => k.scopes.has('trade')) ?? keys[0])?.key ?? null;
}

function keyFromFile(file: string | null): string | null {
  if (file === null) return null;
  try {
    return readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** What a CLI command's calls are stamped with: the cli interface and one correlation id for the command. */
export const cliContext = (): RequestContext => ({ interface: 'cli', correlationId: newCorrelationId(), apiKeyName: null });

/** Opens the broker in this process (no gateway is running). */
export async function openLocal(io: Io, config: Config, context: RequestContext = cliContext()): Promise<CliGateway> {
  const logger = cliLogger(config);
  // A CLI process lives for one command: it does not follow the kill switch (a running gateway does).
  return localGateway(await withSpinner(io, `connecting to the ${config.broker} broker`, () => createClient({ config, logger, followKillSwitch: false, context })));
}

/** Always opens the broker in this process, as a full GatewayClient (the demo, which forces its own settings). */
export async function withLocalClient(fn: (client: GatewayClient, io: Io) => Promise<void>, options: { io?: Io; config?: Config; json?: boolean } = {}): Promise<void> {
  const io = options.io ?? processIo();
  try {
    const config = options.config ?? loadConfig();
    const logger = cliLogger(config);
    const client = await withSpinner(io, `connecting to the ${config.broker} broker`, () => createClient({ config, logger, followKillSwitch: false, context: cliContext() }));
    try {
      await fn(client, io);
    } finally {
      await client.close();
    }
  } catch (err) {
    reportError(io, err, options.json ?? false);
  }
}

export async function withClient(fn: (client: CliGateway, io: Io) => Promise<void>, options: { io?: Io; config?: Config; json?: boolean; prefer?: ApiScope } = {}): Promise<void> {
  const io = options.io ?? processIo();
  try {
    const config = options.config ?? loadConfig();
    const target = findGateway(config, options.prefer);
    const client = target ? remoteGateway(target.url, target.apiKey) : await openLocal(io, config);
    try {
      await fn(client, io);
    } finally {
      await client.close();
    }
  } catch (err) {
    reportError(io, err, options.json ?? false);
  }
}

export function reportError(io: Io, err: unknown, json: boolean): void {
  if (err instanceof ConfigError || err instanceof UsageError) {
    io.stderr.write(`${err.message}\n`);
    process.exitCode = EXIT.CONFIG;
    return;
  }
  // A request the core refuses as malformed (an LMT order without a limit price) is the
  // command used wrongly: a usage error like a bad flag, not a failure of the gateway.
  process.exitCode = err instanceof ValidationError ? EXIT.CONFIG : EXIT.FAILURE;
  if (!(err instanceof GatewayError)) {
    io.stderr.write(`${paint(io, 'red', 'error')}: ${err instanceof Error ? err.message : String(err)}\n`);
    return;
  }
  if (json) {
    printJson(io, { error: err.toJSON() });
    return;
  }
  io.stderr.write(`${paint(io, 'red', err.code)}: ${err.message}\n`);
  if (err instanceof ValidationError) for (const i of err.issues) io.stderr.write(`  ${i.path}: ${i.message}\n`);
  const failed = (err.details as { failedChecks?: { name: string; message: string }[] } | undefined)?.failedChecks;
  if (failed) for (const c of failed) io.stderr.write(`  ${c.name}: ${c.message}\n`);
}
