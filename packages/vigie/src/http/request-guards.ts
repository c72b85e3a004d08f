import type { FastifyInstance } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { VigieError } from '../errors.js';
import { hasNul } from '../util/text.js';

// Bad input is refused before any route runs, in Vigie's error shape, and changes nothing:
// - JSON bodies nested deeper than MAX_JSON_DEPTH (a 5000-deep payload overflowed the stack of
//   JSON.stringify further down, an anonymous 500);
// - a query parameter given twice (routes read one string; an array reached the store);
// - a NUL character in a path or query parameter (PostgreSQL refuses it in text: a 500 there,
//   stored on SQLite: the same request must fail the same way on every store).

/** Deepest nesting of arrays and objects a JSON body may have. Vigie's own bodies use under 10. */
export const MAX_JSON_DEPTH = 64;

/** True when the JSON `text` nests arrays and objects deeper than `max` (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * A request's JSON body, parsed as fastify's own parser does (prototype poisoning refused, via
 * secure-json-parse) after bounding its nesting depth; a VigieError says what is wrong. One
 * parser for both ways in: fastify's content-type parser and the direct routes (direct-routes.ts).
 */
export function parseJsonBody(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (text.length === 0) throw new VigieError('INVALID_JSON', 'The body is empty. Send a JSON object.', 400);
  if (jsonDepthExceeds(text, maxDepth)) throw new VigieError('JSON_TOO_DEEP', `The JSON body nests deeper than ${maxDepth} levels; send a flatter document.`, 400);
  try {
    return secureJsonParse(text, SECURE_JSON);
  } catch (err) {
    throw new VigieError('INVALID_JSON', `The body is not valid JSON (${(err as Error).message}). Send a JSON object.`, 400);
  }
}

const SECURE_JSON = { protoAction: 'error', constructorAction: 'error' } as const;

/** Replaces fastify's JSON parser with parseJsonBody. */
export function installJsonParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    let parsed: unknown;
    try {
      parsed = parseJsonBody(typeof body === 'string' ? body : body.toString('utf8'), maxDepth);
    } catch (err) {
      done(err as VigieError, undefined);
      return;
    }
    done(null, parsed);
  });
}

/** Refuses repeated query parameters and NUL characters in path and query parameters, before validation. */
export function installInputGuards(app: FastifyInstance): void {
  // for…in, not Object.entries: this runs on every request, nearly always over empty objects.
  app.addHook('preValidation', (request, _reply, done) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    for (const name in query) {
      const value = query[name];
      if (Array.isArray(value)) {
        return done(new VigieError('INVALID_QUERY', `Query parameter "${name}" is given ${value.length} times; give it once.`, 400));
      }
      if (typeof value === 'string' && hasNul(value)) {
        return done(new VigieError('INVALID_QUERY', `Query parameter "${name}" holds a NUL character (\\u0000); remove it.`, 400));
      }
    }
    const params = (request.params ?? {}) as Record<string, unknown>;
    for (const name in params) {
      const value = params[name];
      if (typeof value === 'string' && hasNul(value)) {
        return done(new VigieError('INVALID_INPUT', `Path parameter "${name}" holds a NUL character (\\u0000); remove it.`, 400));
      }
    }
    done();
  });
}

/** An integer query parameter written in plain decimal digits ("0x10", "1e2", " 5" are refused), within [min, max]. */
export function intQuery(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new VigieError('INVALID_QUERY', `${name} must be an integer from ${min} to ${max}, in decimal digits (got "${raw.slice(0, 20)}").`, 400);
  }
  return n;
}
