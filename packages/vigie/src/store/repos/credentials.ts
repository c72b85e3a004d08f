import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** What may be shown about a credential: everything but its value. */
export interface CredentialInfo {
  name: string;
  /** Where the value came from (e.g. 'cli', 'file', 'refresh'). */
  source: string;
  updatedAt: number;
  lastRefreshAt: number;
}

/** A credential with its secret value: never log it, never put it in a response. */
export interface Credential extends CredentialInfo {
  value: string;
}

export interface CredentialsRepo {
  /** Creates or replaces a credential; returns its info (without the value). */
  set(name: string, value: string, source: string, now?: number): Promise<CredentialInfo>;
  /** The credential with its value, or undefined. */
  get(name: string): Promise<Credential | undefined>;
  /** Every credential's info, by name; values are never selected. */
  list(): Promise<CredentialInfo[]>;
  /** Deletes a credential; false if there was none. */
  delete(name: string): Promise<boolean>;
}

/** Builds the credentials repository over a Kysely instance or transaction. */
export function createCredentialsRepo(db: Kysely<Database>): CredentialsRepo {
  const infoColumns = ['name', 'source', 'updated_at', 'last_refresh_at'] as const;
  const toInfo = (r: { name: string; source: string; updated_at: number; last_refresh_at: number }) => ({
    name: r.name,
    source: r.source,
    updatedAt: r.updated_at,
    lastRefreshAt: r.last_refresh_at,
  });

  return {
    async set(name, value, source, now = Date.now()) {
      const row = await db
        .insertInto('credentials')
        .values({ name, value, source, updated_at: now, last_refresh_at: now })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({ value, source, updated_at: now, last_refresh_at: now }),
        )
        .returning(infoColumns)
        .executeTakeFirstOrThrow();
      return toInfo(row);
    },

    async get(name) {
      const row = await db
        .selectFrom('credentials')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      return row && { ...toInfo(row), value: row.value };
    },

    async list() {
      // Select the info columns only, so the secret never leaves the database here.
      const rows = await db.selectFrom('credentials').select(infoColumns).orderBy('name').execute();
      return rows.map(toInfo);
    },

    async delete(name) {
      const res = await db.deleteFrom('credentials').where('name', '=', name).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },
  };
}
