import { z } from 'zod';

const word = z.string().trim().min(1, 'must not be empty').max(100);

/** Where a match is sent. Secrets (a webhook's HMAC key) are referenced by credential name, never stored in the alert. */
export const notifyTargetSchema = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('telegram'), chatId: z.string().min(1).max(100).optional() }).strict(),
  z
    .object({
      channel: z.literal('webhook'),
      url: z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'expected an http or https URL'),
      secretRef: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a credential name').optional(),
    })
    .strict(),
  z.object({ channel: z.literal('log') }).strict(),
]);

const sourceName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a source name from the config file (lower-case letters, digits, . _ -)');

/** Every field an alert has, each optional (a patch changes some of them). */
const alertFields = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    source: sourceName,
    query: z.string().max(500),
    priceMin: z.number().nonnegative().nullable(),
    priceMax: z.number().nonnegative().nullable(),
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
  .extend({ query: z.string().max(500).default('') })
  .refine((a) => a.priceMin == null || a.priceMax == null || a.priceMin <= a.priceMax, {
    message: 'priceMin must not be above priceMax',
    path: ['priceMin'],
  });

/** A partial update: the same fields, all optional (the range is checked against the stored alert). */
export const alertPatchSchema = alertFields;

/** The first problem of a failed parse, as "field: what is wrong". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
