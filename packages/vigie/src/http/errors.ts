import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ForeignError, VigieError, type ErrorCode } from '../errors.js';
import { scrub } from '../observability/secrets.js';
import type { ErrorBody } from '../wire/answer.js';

export type { ErrorBody } from '../wire/answer.js';

/** Sends `err` as the seed's `{ success: false, error, httpStatus }` answer. */
export function sendError(reply: FastifyReply, err: VigieError | ForeignError): FastifyReply {
  const body: ErrorBody = {
    success: false,
    error: err.code,
    code: err.code,
    message: scrub(err.message),
    httpStatus: err.httpStatus,
  };
  return reply.code(err.httpStatus).send(body);
}

/** Maps fastify's own errors (bad JSON, body too large, wrong content type) to Vigie's answer shape. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof VigieError || error instanceof ForeignError) return sendError(reply, error);
    // fastify's JSON parser rethrows the SyntaxError with statusCode 400 and no code.
    const known = FASTIFY_ERRORS[error instanceof SyntaxError ? 'FST_ERR_CTP_INVALID_JSON_BODY' : (error.code ?? '')];
    if (known) return sendError(reply, new VigieError(known.code, known.message(error), known.status));
    if (error.statusCode && error.statusCode < 500) {
      return sendError(reply, new VigieError('BAD_REQUEST', error.message, error.statusCode));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new VigieError('INTERNAL_ERROR', 'Internal error; see the server log.', 500));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new VigieError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`, 404)),
  );
}

const FASTIFY_ERRORS: Record<string, { code: ErrorCode; status: number; message: (e: FastifyError) => string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON', status: 400, message: (e) => `The body is not valid JSON (${e.message}). Send a JSON object.` },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_JSON', status: 400, message: () => 'The body is empty. Send a JSON object.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', status: 413, message: () => 'The body is too large; split the command or raise MAX_BODY_BYTES.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, message: () => 'Send the body as application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', status: 400, message: () => 'The Content-Length does not match the body.' },
};
