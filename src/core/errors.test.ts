import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, GatewayError, IdempotencyConflictError, RiskLimitError, toGatewayError, TradingDisabledError } from './errors.js';
import * as errors from './errors.js';
import { ErrorBody } from './models.js';

describe('error catalogue', () => {
  it('gives every code an HTTP status and a description', () => {
    for (const [code, info] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(info.status).toBeGreaterThanOrEqual(400);
      expect(info.status).toBeLessThan(600);
      expect(info.description.length).toBeGreaterThan(10);
    }
  });

  it('error classes carry their code, status and details', () => {
    const err = new RiskLimitError('too big', { failedChecks: [{ name: 'maxOrderQuantity' }] });
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'RISK_LIMIT_EXCEEDED', status: 422, details: { failedChecks: [{ name: 'maxOrderQuantity' }] } });
    expect(new IdempotencyConflictError('x').status).toBe(409);
    expect(new TradingDisabledError('x', 'KILL_SWITCH_ENGAGED').status).toBe(423);
  });

  it('every error class produces a code from the catalogue', () => {
    const made: GatewayError[] = [
      new errors.BrokerConnectionError('x'),
      new errors.ContractResolutionError('x'),
      new errors.MarketDataError('x'),
      new errors.OrderValidationError('x'),
      new errors.OrderNotFoundError('1'),
      new errors.OrderRejectedError('x'),
      new errors.TradingDisabledError('x', 'LIVE_OVERRIDE_MISSING'),
      new errors.RiskLimitError('x'),
      new errors.PreviewError('PREVIEW_EXPIRED', 'x'),
      new errors.IdempotencyConflictError('x'),
      new errors.ApprovalError('APPROVAL_OWN_ORDER', 'x'),
      new errors.AccountError('x'),
      new errors.RateLimitedError('x', 3),
      new errors.AuditError('x'),
      new errors.ValidationError('x', []),
      new errors.ConfigError('API_PORT', 'x'),
    ];
    for (const err of made) {
      expect(err).toBeInstanceOf(GatewayError);
      expect(ERROR_CATALOGUE[err.code].status, err.name).toBe(err.status);
      expect(err.name).toBe(err.constructor.name);
    }
  });

  it('serialises to the body of an error response', () => {
    const err = new RiskLimitError('too big', { failedChecks: [] });
    expect(ErrorBody.parse({ error: err.toJSON(), correlationId: 'c-1' })).toMatchObject({ error: { code: 'RISK_LIMIT_EXCEEDED', message: 'too big' } });
  });

  it('wraps unknown throwables without leaking their message', () => {
    const wrapped = toGatewayError(new Error('database password is hunter2'));
    expect(wrapped.code).toBe('INTERNAL_ERROR');
    expect(wrapped.message).not.toContain('hunter2');
  });
});

describe('fromZodIssues', () => {
  it('names an absent field as required instead of echoing zod\'s type message', async () => {
    const { z } = await import('zod');
    const result = z.object({ symbol: z.string(), quantity: z.number() }).safeParse({ quantity: 'ten' });
    if (result.success) throw new Error('expected a failure');
    const err = errors.fromZodIssues(result.error.issues, 'Request body');
    expect(err.issues).toEqual([
      { path: 'symbol', message: 'symbol is required' },
      { path: 'quantity', message: 'Invalid input: expected number, received string' },
    ]);
    expect(err.message).toBe('Request body is invalid: symbol: symbol is required (+1 more)');
  });
});
