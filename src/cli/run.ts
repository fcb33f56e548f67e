/**
 * How a CLI command runs: build a client from the environment (with a spinner
 * while it connects), run, close, and turn failures into one clear line and an
 * exit code. Exit codes: 0 success, 1 failure (an error from the gateway or
 * an unhealthy check), 2 bad configuration or usage (VALIDATION_ERROR included).
 */
import { createClient } from '../gateway.js';
import { loadEnv, parseConfig, type Config } from '../core/config.js';
import { ConfigError, GatewayError, ValidationError } from '../core/errors.js';
import type { GatewayClient } from '../core/client/interface.js';
import { createLogger, withContext, type Logger } from '../core/logging.js';
import { paint, printJson, processIo, withSpinner, type Io } from './output.js';

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

export async function withClient(fn: (client: GatewayClient, io: Io) => Promise<void>, options: { io?: Io; config?: Config; json?: boolean } = {}): Promise<void> {
  const io = options.io ?? processIo();
  await withContext({ interface: 'cli' }, async () => {
    try {
      const config = options.config ?? loadConfig();
      const logger = cliLogger(config);
      const client = await withSpinner(io, `connecting to the ${config.broker} broker`, () => createClient({ config, logger }));
      try {
        await fn(client, io);
      } finally {
        await client.close();
      }
    } catch (err) {
      reportError(io, err, options.json ?? false);
    }
  });
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
