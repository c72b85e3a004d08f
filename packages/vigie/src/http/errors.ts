import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForeignError, VigieError, type ErrorCode } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { scrub } from '../observability/secrets.js';
import type { ErrorBody } from '../wire/answer.js';

export type { ErrorBody } from '../wire/answer.js';

/** `err` as the seed's `{ success: false, error, httpStatus }` body. */
export function errorBody(err: VigieError | ForeignError): ErrorBody {
  return { success: false, error: err.code, code: err.code, message: scrub(err.message), httpStatus: err.httpStatus };
}

/** Sends `err` as the seed's `{ success: false, error, httpStatus }` answer. */
export function sendError(reply: FastifyReply, err: VigieError | ForeignError): FastifyReply {
  return reply.code(err.httpStatus).send(errorBody(err));
}

/**
 * fastify's `frameworkErrors`: the rejections it makes before any route or hook runs (a URL
 * whose percent-encoding is broken, a path parameter over maxParamLength), in Vigie's shape.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const err =
    error.code === 'FST_ERR_BAD_URL'
      ? new VigieError('BAD_URL', 'The URL is malformed (bad percent-encoding); encode it with encodeURIComponent.', 400)
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new VigieError('URL_TOO_LONG', 'A path parameter is too long; ids are at most 100 characters.', 414)
        : new VigieError('BAD_REQUEST', `The request was refused: ${error.message}`, error.statusCode && error.statusCode < 500 ? error.statusCode : 400);
  void sendError(reply, err);
}

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser refuses before fastify sees a request
 * (headers too large, a request not received in time, malformed HTTP), answered in Vigie's shape
 * on the raw socket, which is then closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new VigieError('REQUEST_TIMEOUT', 'The request (headers and body) did not arrive in time; see HTTP_REQUEST_TIMEOUT_MS.', 408)
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new VigieError('HEADERS_TOO_LARGE', 'The request line and headers are too large (16 KiB at most); shorten the URL or the headers.', 431)
        : err.code === 'HPE_URI_TOO_LONG'
          ? new VigieError('URL_TOO_LONG', 'The URL is too long; shorten it.', 414)
          : new VigieError('BAD_REQUEST', 'The request is not valid HTTP.', 400);
  if (socket.writable) {
    const body = JSON.stringify(errorBody(e));
    socket.write(`HTTP/1.1 ${e.httpStatus} ${STATUS_CODES[e.httpStatus] ?? 'Error'}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** An error nobody expected: logged with its stack, answered as INTERNAL_ERROR (the stack stays in the log). */
export function internalError(err: unknown, log: Pick<Logger, 'error'>): VigieError {
  log.error({ err }, 'unhandled error');
  return new VigieError('INTERNAL_ERROR', 'Internal error; see the server log.', 500);
}

/** Maps fastify's own errors (body too large, wrong content type) to Vigie's answer shape. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof VigieError || error instanceof ForeignError) return sendError(reply, error);
    // Bad JSON never gets here: parseJsonBody (request-guards.ts) answers it as INVALID_JSON.
    const known = FASTIFY_ERRORS[error.code ?? ''];
    if (known) return sendError(reply, new VigieError(known.code, known.message(error), known.status));
    if (error.statusCode && error.statusCode < 500) {
      return sendError(reply, new VigieError('BAD_REQUEST', error.message, error.statusCode));
    }
    return sendError(reply, internalError(error, request.log));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new VigieError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`, 404)),
  );
}

const FASTIFY_ERRORS: Record<string, { code: ErrorCode; status: number; message: (e: FastifyError) => string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', status: 413, message: () => 'The body is too large; split the command or raise MAX_BODY_BYTES.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, message: () => 'Send the body as application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', status: 400, message: () => 'The Content-Length does not match the body.' },
};
