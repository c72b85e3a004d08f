import { VigieError } from '../errors.js';
import type { Alert, AlertInput } from '../store/repos/alerts.js';
import { alertInputSchema, describeIssue } from './schema.js';

/**
 * Bulk alert files: a JSON array of alerts, or NDJSON (one alert per line), each row checked
 * with the same schema as `POST /api/v1/alerts`. Parsing is all or nothing: the first bad row
 * rejects the whole file, naming its line, so that a caller never has to find out which half
 * of a file went in.
 */

/** A check beyond the schema (e.g. a known source): undefined when the row is fine, else what is wrong. */
export type RowCheck = (input: AlertInput) => string | undefined;

/**
 * Parses and validates a whole import file (a JSON array, or NDJSON); throws INVALID_ALERT /
 * INVALID_JSON naming the line of the first bad row.
 */
export function parseAlertImport(text: string, check: RowCheck = () => undefined): AlertInput[] {
  const body = text.replace(/^\uFEFF/, '');
  return body.trimStart().startsWith('[') ? parseArray(body, check) : parseNdjson(body, check);
}

/** The fields of an alert that an import takes: what `vigie alerts export` writes, one per line. */
export function toAlertInput(alert: Alert): AlertInput {
  return {
    name: alert.name,
    source: alert.source,
    query: alert.query,
    priceMin: alert.priceMin,
    priceMax: alert.priceMax,
    conditions: alert.conditions,
    includeWords: alert.includeWords,
    excludeWords: alert.excludeWords,
    notify: alert.notify,
    active: alert.active,
    ...(alert.notifyExisting ? { notifyExisting: true } : {}),
  };
}

function parseArray(text: string, check: RowCheck): AlertInput[] {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (err) {
    throw new VigieError('INVALID_JSON', `The import is not valid JSON (${(err as Error).message}). Send a JSON array of alerts, or one alert per line (NDJSON).`, 400);
  }
  if (!Array.isArray(rows)) throw new VigieError('INVALID_JSON', 'Send a JSON array of alerts, or one alert per line (NDJSON).', 400);
  const out: AlertInput[] = [];
  for (let i = 0; i < rows.length; i++) {
    const parsed = alertInputSchema.safeParse(rows[i]);
    const issue = parsed.success ? check(parsed.data) : describeIssue(parsed.error);
    if (issue !== undefined) {
      // Line numbers are found only on failure: the happy path pays for one JSON.parse.
      const line = arrayItemLines(text)[i];
      throw rowError(`item ${i + 1}${line !== undefined ? ` (line ${line})` : ''}`, issue);
    }
    out.push(parsed.data!);
  }
  return out;
}

function parseNdjson(text: string, check: RowCheck): AlertInput[] {
  const out: AlertInput[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (err) {
      throw new VigieError('INVALID_JSON', `Import line ${i + 1} is not valid JSON (${(err as Error).message}). Put one alert object per line, or send a JSON array.`, 400);
    }
    const parsed = alertInputSchema.safeParse(row);
    const issue = parsed.success ? check(parsed.data) : describeIssue(parsed.error);
    if (issue !== undefined) throw rowError(`line ${i + 1}`, issue);
    out.push(parsed.data!);
  }
  return out;
}

function rowError(where: string, issue: string): VigieError {
  return new VigieError('INVALID_ALERT', `Invalid alert at ${where}: ${issue}. Nothing was imported; fix that row and send the file again.`, 400);
}

/** The 1-based line on which each top-level item of a JSON array starts (the text is valid JSON). */
export function arrayItemLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectItem = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (expectItem && c !== ']') {
      lines.push(line);
      expectItem = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectItem = true;
    } else if (c === ']' || c === '}') {
      depth--;
      expectItem = false;
    } else if (c === ',' && depth === 1) expectItem = true;
  }
  return lines;
}
