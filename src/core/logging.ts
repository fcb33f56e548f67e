/**
 * Structured logging with pino. A request (or a library call) runs inside a
 * context held by AsyncLocalStorage; every log line written inside it carries
 * the correlation id, the interface and the API key's name automatically.
 * Secrets are redacted by path, and API keys are never put in the context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { Interface } from './models.js';

export interface RequestContext {
  correlationId: string;
  interface: Interface;
  apiKeyName: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const newCorrelationId = (): string => randomUUID();

/** Runs `fn` inside a context; nested calls keep the outer correlation id unless given a new one. */
export function withContext<T>(context: Partial<RequestContext>, fn: () => T): T {
  const outer = storage.getStore();
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

export interface LoggerOptions {
  level?: string;
  /** Write somewhere other than stdout (tests, the CLI's stderr). */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
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
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export type { Logger };
