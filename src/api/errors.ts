/**
 * One error path for the whole API: whatever fails (a core GatewayError, a
 * schema, the JSON parser, the router, a bug) leaves as the one ErrorBody
 * shape with a catalogue code, and nothing internal (stack, SQL, file paths)
 * reaches the caller. 5xx are logged with the error; the correlation id ties
 * the log line to the response.
 */
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { ERROR_CATALOGUE, fromZodIssues, GatewayError, type ErrorCode } from '../core/errors.js';
import type { ErrorBody } from '../core/models.js';
import { markParsed } from '../core/parse-once.js';
import { isMemoisedQuery, memoiseByText } from './query-memo.js';

/** What one failure becomes on the wire. */
export interface HttpFailure {
  status: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

const PART_NAMES: Record<string, string> = { body: 'Request body', querystring: 'Query string', params: 'Path parameter', headers: 'Request headers' };

/**
 * Validates with the models' zod schemas and reports failures as the core's
 * ValidationError, so a REST caller gets exactly the field list a library caller gets.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const part = PART_NAMES[httpPart ?? ''] ?? 'Request';
  const validate = (data: unknown): { value: unknown } | { error: Error } => {
    const result = schema.safeParse(data);
    // Marked as the schema's output: the core does not parse it again (core/parse-once.ts; only schemas that opted in).
    if (result.success) return { value: markParsed(schema, result.data) };
    return { error: fromZodIssues(result.error.issues, part) };
  };
  // A query string of a schema marked pure is parsed once per distinct text (query-memo.ts).
  return (httpPart === 'querystring' || httpPart === 'params') && isMemoisedQuery(schema) ? memoiseByText(validate) : validate;
};

export function errorBody(failure: HttpFailure, correlationId: string): ErrorBody {
  const error: ErrorBody['error'] = { code: failure.code, message: failure.message };
  if (failure.details !== undefined) error.details = failure.details;
  return { error, correlationId };
}

/** The HTTP status a framework or plugin error carries (Fastify's FST_ errors, @fastify/static's http-errors). */
function clientStatusOf(err: unknown): number | null {
  if (!(err instanceof Error)) return null;
  const candidate = (err as { statusCode?: unknown; status?: unknown }).statusCode ?? (err as { status?: unknown }).status;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 500 ? candidate : null;
}

/** The largest request body the API reads; orders and kill-switch bodies are well under 2 KiB. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Maps anything thrown while serving a request to its HTTP failure. */
export function toHttpFailure(err: unknown): HttpFailure {
  if (err instanceof GatewayError) {
    return { status: err.status, code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
  }
  const status = clientStatusOf(err);
  if (status !== null) {
    // Each refusal its own code; the framework's messages are fixed strings, safe to show.
    const code = (err as Partial<FastifyError>).code;
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY') return { status: 400, code: 'BAD_REQUEST', message: 'The request body is not valid JSON' };
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return { status: 413, code: 'BODY_TOO_LARGE', message: `The request body is larger than ${BODY_LIMIT_BYTES} bytes, the most the API reads`, details: { limitBytes: BODY_LIMIT_BYTES } };
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The body must be JSON: send Content-Type: application/json' };
    }
    if (status === 404) return { status, code: 'NOT_FOUND', message: (err as Error).message };
    if (status === 403) return { status, code: 'PATH_FORBIDDEN', message: 'The path is not allowed' };
    return { status, code: 'BAD_REQUEST', message: (err as Error).message };
  }
  // Anything else is a bug, not the caller's fault; so is a core answer its response schema cannot write (serializer.ts).
  return internal();
}

function internal(): HttpFailure {
  return { status: 500, code: 'INTERNAL_ERROR', message: ERROR_CATALOGUE.INTERNAL_ERROR.description };
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const failure = toHttpFailure(err);
  if (failure.status >= 500) request.log.error({ err, code: failure.code }, 'request failed');
  else request.log.debug({ code: failure.code, message: failure.message }, 'request refused');
  void reply.code(failure.status).send(errorBody(failure, request.id));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  // Only the path is echoed, never the query string (it could hold a key someone pasted there).
  const path = request.url.split('?', 1)[0] ?? '';
  void reply.code(404).send(errorBody({ status: 404, code: 'NOT_FOUND', message: `No route ${request.method} ${path.slice(0, 200)}` }, request.id));
}
