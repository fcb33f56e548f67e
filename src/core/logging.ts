/**
 * Structured logging with pino, and the request context every log line and
 * audit row carries: the correlation id, the interface and the API key's name.
 *
 * The context travels explicitly. The REST layer hands it to the client
 * (handOver, for the synchronous call only), each client method takes it then
 * and the core carries it across awaits as a value (OrderContext.request),
 * writing it into its log lines (loggerFor) and rows. Nothing in normal
 * operation enters an AsyncLocalStorage context: on Node 20 the first
 * `AsyncLocalStorage.run` turns on async hooks for every async resource and
 * promise of the process for good (0.87x CPU per quote request when off).
 *
 * withContext stays for library users who want ambient ids around their own
 * calls (their process then pays for the hooks); the core reads an explicit
 * context first, then that store, then makes a fresh library one.
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

/**
 * The context handed over for one synchronous call (handOver): set only while
 * that call runs, so it can never leak into another request's callbacks.
 */
let handedOver: RequestContext | undefined;

export { newCorrelationId };

/** A fresh context for work no request started (start-up, reconciliation, broker events, sweeps). */
export function systemContext(correlationId: string = newCorrelationId()): RequestContext {
  return { correlationId, interface: 'system', apiKeyName: null };
}

/**
 * Runs `fn` with `context` handed over to whatever reads it synchronously
 * (a GatewayClient method takes it at its start). No async hook: a callback
 * that runs later does not see it, which is why the core carries it explicitly.
 */
export function handOver<T>(context: RequestContext, fn: () => T): T {
  const outer = handedOver;
  handedOver = context;
  try {
    return fn();
  } finally {
    handedOver = outer;
  }
}

/**
 * For library users: runs `fn` inside a context held by AsyncLocalStorage, so
 * calls made anywhere inside it (also after awaits) carry its ids. Nested
 * calls keep the outer correlation id unless given a new one. The gateway
 * itself never calls it (see the module comment).
 */
export function withContext<T>(context: Partial<RequestContext>, fn: () => T): T {
  const outer = handedOver ?? storage.getStore();
  // Nothing to change: a second context entry would give the same answers.
  if (outer !== undefined && context.correlationId === undefined && context.interface === undefined && context.apiKeyName === undefined) return fn();
  const ctx: RequestContext = {
    correlationId: context.correlationId ?? outer?.correlationId ?? newCorrelationId(),
    interface: context.interface ?? outer?.interface ?? 'library',
    apiKeyName: context.apiKeyName !== undefined ? context.apiKeyName : (outer?.apiKeyName ?? null),
  };
  return storage.run(ctx, fn);
}

/**
 * The context a call runs in: the one given explicitly, else the one handed
 * over or entered with withContext, else a fresh one with `fresh`'s interface
 * (a library call by default).
 */
export function contextOf(explicit?: RequestContext, fresh: Partial<RequestContext> = {}): RequestContext {
  return (
    explicit ??
    handedOver ??
    storage.getStore() ?? { correlationId: fresh.correlationId ?? newCorrelationId(), interface: fresh.interface ?? 'library', apiKeyName: fresh.apiKeyName ?? null }
  );
}

/** The context handed over or entered, or a fresh library context when there is none. */
export function currentContext(): RequestContext {
  return contextOf();
}

/** Marks a logger whose bindings already carry a context: the mixin adds nothing to its lines. */
const BOUND = Symbol('bound to a request context');

/** A child of `logger` whose every line carries `context`'s ids. */
export function loggerFor(logger: Logger, context: RequestContext): Logger {
  const child = logger.child({ correlationId: context.correlationId, interface: context.interface, apiKeyName: context.apiKeyName });
  (child as Logger & { [BOUND]?: true })[BOUND] = true;
  return child;
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
      // A line written inside a library user's withContext carries its ids; the gateway's own lines carry
      // them in their bindings (loggerFor, the request's logger), so the mixin adds nothing to those.
      mixin(_object, _level, written) {
        if ((written as Logger & { [BOUND]?: true })[BOUND] === true) return {};
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
