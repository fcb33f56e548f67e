/**
 * Requests Node's HTTP parser refuses (duplicate Content-Length, a 17 KB
 * header, broken chunked encoding, a request that never finishes) never reach
 * Fastify's router, hooks or error handler: Node emits 'clientError' on the
 * server. Fastify's default answer is its own body without a correlation id;
 * this one answers in the API's error shape, with a fresh correlation id in
 * the body and the header, logged under that id, and then closes the
 * connection (the parser cannot find the next request in a broken stream).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { newCorrelationId } from '../core/logging.js';
import { CORRELATION_HEADER } from './context.js';
import { errorBody, type HttpFailure } from './errors.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** What a parser error becomes; its code is Node's (llhttp's HPE_*, or ERR_HTTP_*). */
export function parserFailure(err: NodeJS.ErrnoException): HttpFailure {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'HEADERS_TOO_LARGE', message: 'The request headers are larger than the server accepts (16 KiB)' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request was not received completely in time' };
    default:
      return {
        status: 400,
        code: 'HTTP_PARSE_ERROR',
        message: `The HTTP request is malformed: ${PARSER_REASONS[err.code ?? ''] ?? 'the parser refused it'}`,
        ...(err.code ? { details: { parserCode: err.code } } : {}),
      };
  }
}

const PARSER_REASONS: Record<string, string> = {
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length given twice, or with Transfer-Encoding',
  HPE_INVALID_CONTENT_LENGTH: 'Content-Length is not a number',
  HPE_INVALID_CHUNK_SIZE: 'a chunk size in the chunked body is not hexadecimal',
  HPE_INVALID_TRANSFER_ENCODING: 'Transfer-Encoding is not valid',
  HPE_INVALID_HEADER_TOKEN: 'a header name or value holds a character HTTP does not allow',
  HPE_INVALID_METHOD: 'the method is not valid',
  HPE_INVALID_URL: 'the request target is not valid',
  HPE_INVALID_VERSION: 'the HTTP version is not valid',
  HPE_LF_EXPECTED: 'a line does not end with CRLF',
  HPE_CR_EXPECTED: 'a line does not end with CRLF',
  HPE_INVALID_CONSTANT: 'the request line is not valid',
  HPE_STRICT: 'the request is not strictly valid HTTP',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'chunk extensions are too long',
};

export function createClientErrorHandler(logger: FastifyBaseLogger) {
  return function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const failure = parserFailure(err);
    const correlationId = newCorrelationId();
    logger.info({ correlationId, code: failure.code, parserCode: err.code }, 'malformed HTTP request refused');
    // A response to an earlier request on this connection may be half written: then only closing is safe.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && inFlight?.headersSent !== true) {
      const body = JSON.stringify(errorBody(failure, correlationId));
      const headers: Record<string, string | number> = {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        [CORRELATION_HEADER]: correlationId,
        ...SECURITY_HEADERS,
        connection: 'close',
      };
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.end(`HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}\r\n${head}\r\n${body}`);
    }
    socket.destroySoon();
  };
}
