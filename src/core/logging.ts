/**
 * Structured logging with pino. A request (or a library call) runs inside a
 * context held by AsyncLocalStorage; every log line written inside it carries
 * the correlation id, the interface and the API key's name automatically.
 * Secrets are redacted by path, and API keys are never put in the context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import type { Interface } from './models.js';
import { newCorrelationId } from './correlation-id.js';

export interface RequestContext {
  correlationId: string;
  interface: Interface;
  apiKeyName: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

export { newCorrelationId };

/** Runs `fn` inside a context; nested calls keep the outer correlation id unless given a new one. */
export function withContext<T>(context: Partial<RequestContext>, fn: () => T): T {
  // A complete context (a REST request's) needs nothing from the outer one: no lookup of it.
  if (context.correlationId !== undefined && context.interface !== undefined && context.apiKeyName !== undefined) {
    return storage.run({ correlationId: context.correlationId, interface: context.interface, apiKeyName: context.apiKeyName }, fn);
  }
  const outer = storage.getStore();
  // Nothing to change (a client call inside a REST request's context): a second context entry would
  // cost an AsyncLocalStorage run per request and give the same answers.
  if (outer !== undefined && context.correlationId === undefined && context.interface === undefined && context.apiKeyName === undefined) return fn();
  const ctx: RequestContext = {
    correlationId: context.correlationId ?? outer?.correlationId ?? newCorrelationId(),
    interface: context.interface ?? outer?.interface ?? 'library',
    apiKeyName: context.apiKeyName !== undefined ? context.apiKeyName : (outer?.apiKeyName ?? null),
  };
  return storage.run(ctx, fn);
}

/** The current context, or a fresh library context when called outside any. */
export function currentContext(): RequestContext {
  return storage.getStore() ?? { correlationId: newCorrelationId(), interface: 'library', apiKeyName: null };
}

export const REDACT_PATHS = [
  'apiKey',
  'key',
  'headers["x-api-key"]',
  'headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'config.api.keys',
  'config.mcp.apiKey',
  '*.apiKey',
];

export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  /** Write somewhere other than stdout (tests, the CLI's stderr). */
  destination?: pino.DestinationStream & { isTTY?: boolean; fd?: number };
  /** auto (the default): one readable line per event on a terminal, JSON otherwise. */
  format?: LogFormat;
}

/** A logger that writes nothing: what a library client gets unless it passes its own. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && (options.destination ?? process.stdout).isTTY === true);
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'ibkr-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // Every line written inside a request context carries its ids.
      mixin() {
        const ctx = storage.getStore();
        return ctx ? { correlationId: ctx.correlationId, interface: ctx.interface, apiKeyName: ctx.apiKeyName } : {};
      },
    },
    pretty ? prettyStream(options.destination ?? process.stdout) : destination,
  );
}

/** `15:04:05 WARN  message key=value [correlation id]`: readable on a terminal, every field kept. */
function prettyStream(destination: pino.DestinationStream & { isTTY?: boolean }): pino.DestinationStream {
  // Loaded only for a terminal: a service writing JSON never pays for pino-pretty at start.
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pinoPretty({
    destination,
    colorize: destination.isTTY === true,
    singleLine: true,
    sync: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service,interface,apiKeyName,correlationId',
    messageFormat: (log, messageKey) => `${String(log[messageKey] ?? '')}${typeof log.correlationId === 'string' ? ` [${log.correlationId}]` : ''}`,
  });
}

export type { Logger };
