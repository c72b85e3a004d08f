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

/** An alert as the API and CLI accept it: every field checked, unknown fields refused. */
export const alertInputSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    source: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a source name from the config file (lower-case letters, digits, . _ -)'),
    query: z.string().max(500).default(''),
    priceMin: z.number().nonnegative().nullable().optional(),
    priceMax: z.number().nonnegative().nullable().optional(),
    conditions: z.array(word).max(20).optional(),
    includeWords: z.array(word).max(50).optional(),
    excludeWords: z.array(word).max(50).optional(),
    notify: z.array(notifyTargetSchema).max(10).optional(),
    active: z.boolean().optional(),
    notifyExisting: z.boolean().optional(),
  })
  .strict()
  .refine((a) => a.priceMin == null || a.priceMax == null || a.priceMin <= a.priceMax, {
    message: 'priceMin must not be above priceMax',
    path: ['priceMin'],
  });

/** A partial update: the same fields, all optional. */
export const alertPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    source: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).optional(),
    query: z.string().max(500).optional(),
    priceMin: z.number().nonnegative().nullable().optional(),
    priceMax: z.number().nonnegative().nullable().optional(),
    conditions: z.array(word).max(20).optional(),
    includeWords: z.array(word).max(50).optional(),
    excludeWords: z.array(word).max(50).optional(),
    notify: z.array(notifyTargetSchema).max(10).optional(),
    active: z.boolean().optional(),
    notifyExisting: z.boolean().optional(),
  })
  .strict();

/** The first problem of a failed parse, as "field: what is wrong". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
