// Column codecs shared by the repositories. JSON lives in TEXT and booleans are written as
// 0/1 on both backends, so every repository speaks one dialect-neutral SQL.

/** Serialises a value for a JSON TEXT column. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Parses a JSON TEXT column, with `fallback` for NULL. */
export function fromJson<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}

/** SQLite cannot bind booleans; PostgreSQL reads '1'/'0' as boolean input. */
export function toBool(value: boolean): number {
  return value ? 1 : 0;
}

/** SQLite returns 0/1, PostgreSQL true/false. */
export function fromBool(value: number | boolean): boolean {
  return value === true || value === 1;
}

/** COUNT(*) comes back as number, bigint or string depending on the driver. */
export function toCount(value: string | number | bigint): number {
  return Number(value);
}
