import { z } from 'zod';
import { hasNul, NUL_MESSAGE } from '../util/text.js';
import { HTTP_URL_MESSAGE, isHttpUrl } from '../util/url.js';

/** A string with no NUL character (refused by PostgreSQL: refused here on every store). */
export const text = () => z.string().refine((s) => !hasNul(s), NUL_MESSAGE);

const word = text().trim().min(1, 'must not be empty').max(100);

/** Where a match is sent. Secrets (a webhook's HMAC key) are referenced by credential name, never stored in the alert. */
export const notifyTargetSchema = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('telegram'), chatId: text().min(1).max(100).optional() }).strict(),
  z
    .object({
      channel: z.literal('webhook'),
      url: text().refine(isHttpUrl, HTTP_URL_MESSAGE),
      secretRef: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a credential name').optional(),
    })
    .strict(),
  z.object({ channel: z.literal('log') }).strict(),
]);

/** A price bound: a non-negative finite number, or null for none. */
export const price = z.number().nonnegative().nullable();

/** The price range rule, shared by the alerts API and the worker's check-alerts. */
export const priceRangeRule = {
  check: (a: { priceMin?: number | null | undefined; priceMax?: number | null | undefined }) => a.priceMin == null || a.priceMax == null || a.priceMin <= a.priceMax,
  message: 'priceMin must not be above priceMax',
  path: ['priceMin'],
};

const sourceName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a source name from the config file (lower-case letters, digits, . _ -)');

/** Every field an alert has, each optional (a patch changes some of them). */
const alertFields = z
  .object({
    name: text().trim().min(1, 'is required').max(200),
    source: sourceName,
    query: text().max(500),
    priceMin: price,
    priceMax: price,
    conditions: z.array(word).max(20),
    includeWords: z.array(word).max(50),
    excludeWords: z.array(word).max(50),
    notify: z.array(notifyTargetSchema).max(10),
    active: z.boolean(),
    notifyExisting: z.boolean(),
  })
  .partial()
  .strict();

/** An alert as the API and CLI accept it: name and source required, every field checked, unknown fields refused. */
export const alertInputSchema = alertFields
  .required({ name: true, source: true })
  .extend({ query: text().max(500).default('') })
  .refine(priceRangeRule.check, { message: priceRangeRule.message, path: priceRangeRule.path });

/** A partial update: the same fields, all optional (the range is checked against the stored alert). */
export const alertPatchSchema = alertFields;

/** The first problem of a failed parse, as "field: what is wrong". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
