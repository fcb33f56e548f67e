/**
 * Each request's logger (`request.log`, set by the request hook: context.ts
 * attachLogger), made only when something logs through it.
 *
 * pino serialises a child's bindings when the child is made, so a route that
 * never logs (a quote, a health poll: nearly all of them) would pay for a
 * logger it did not use (~1.6% of a quote request's CPU in a profile). This
 * stands in for the child and makes it at the first line written, with the
 * same bindings and options, so what is logged is unchanged.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type AnyLogFn = (...args: unknown[]) => void;

export class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The real child, made once (of the parent's real logger when the parent is lazy too). */
  private get real(): FastifyBaseLogger {
    return (this.made ??= (this.parent instanceof LazyChildLogger ? this.parent.real : this.parent).child(this.bindings, this.options));
  }

  /** Whether the child exists yet (tests). */
  get materialised(): boolean {
    return this.made !== null;
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  fatal(...args: unknown[]): void {
    (this.real.fatal as AnyLogFn).apply(this.real, args);
  }
  error(...args: unknown[]): void {
    (this.real.error as AnyLogFn).apply(this.real, args);
  }
  warn(...args: unknown[]): void {
    (this.real.warn as AnyLogFn).apply(this.real, args);
  }
  info(...args: unknown[]): void {
    (this.real.info as AnyLogFn).apply(this.real, args);
  }
  debug(...args: unknown[]): void {
    (this.real.debug as AnyLogFn).apply(this.real, args);
  }
  trace(...args: unknown[]): void {
    (this.real.trace as AnyLogFn).apply(this.real, args);
  }
  silent(...args: unknown[]): void {
    (this.real.silent as AnyLogFn).apply(this.real, args);
  }

  /** Lazy too: a stream's own child of the request's logger, say, costs nothing until it writes. */
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return new LazyChildLogger(this, bindings, options ?? {});
  }
}
