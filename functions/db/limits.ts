/**
 * The limits of the catalog's drivers that the hub's statements must fit, stated once. The strictest
 * is D1 (developers.cloudflare.com/d1/platform/limits, as of April 2026); an embedded or remote
 * libSQL allows more, and the hub writes the same statements to all three (docs/adr/0006).
 */
export const D1_LIMITS = {
  /** "Maximum bound parameters per query". */
  boundParametersPerStatement: 100,
  /** "Maximum SQL statement length", of the SQL text (values bound as parameters do not count). */
  statementBytes: 100_000,
  /** "Maximum string, BLOB or table row size": a bound value too, such as a chunk's rows as JSON. */
  valueBytes: 2_000_000,
  /**
   * "Queries per Worker invocation (read subrequest limits)", Workers Paid; Free: 50. The docs call
   * it a subrequest limit, which a batch is one of; whether each statement of a batch counts is not
   * stated, so the hub keeps its statements per request few either way.
   */
  queriesPerInvocation: 1_000,
  queriesPerInvocationFree: 50,
  /** "Maximum SQL query duration". */
  queryDurationSeconds: 30,
} as const;

/**
 * What Workers allow a request (developers.cloudflare.com/workers/platform/limits): no limit on
 * wall-clock time while the client stays connected, so a long poll of MAX_POLL_WAIT_SECONDS
 * (contracts/) is held there as on Node; what bounds it is the D1 queries it makes, one per
 * re-check. wrangler.toml sets POLL_INTERVAL_MS = 1000: a 30 s poll then makes about 31 checks
 * plus a few to start, within even the Free plan's 50. CPU time is 10 ms on the Free plan, too
 * little to parse a catalog chunk of MAX_REPORT_BYTES: a production hub needs Workers Paid.
 */
export const WORKERS_LIMITS = {
  cpuMsFree: 10,
  cpuMsPaidDefault: 30_000,
  requestBodyBytes: 100 * 1024 * 1024,
} as const;

/**
 * The most bytes of JSON one statement binds as a single value (json_each): under D1's value limit,
 * with room for what SQLite counts that we do not. A report of MAX_REPORT_BYTES (contracts/) is
 * therefore split into a few statements, which still go in one atomic batch.
 */
export const MAX_JSON_VALUE_BYTES = 1_900_000;

const utf8 = new TextEncoder();

/**
 * `rows` as JSON arrays of at most `maxBytes` bytes each (UTF-8), in order; one part per statement.
 * A single row larger than `maxBytes` (impossible within the contract's path limits) gets a part
 * of its own and is left for the database to refuse.
 */
export function jsonParts(rows: readonly unknown[], maxBytes = MAX_JSON_VALUE_BYTES): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let size = 2; // "[" and "]"
  for (const row of rows) {
    const json = JSON.stringify(row);
    const bytes = utf8.encode(json).length + 1; // and its comma
    if (current.length > 0 && size + bytes > maxBytes) {
      parts.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(json);
    size += bytes;
  }
  if (current.length > 0 || parts.length === 0) parts.push(`[${current.join(",")}]`);
  return parts;
}

/**
 * `rows` cut so that an insert of `columns` bound values per row stays within D1's parameter limit.
 * drizzle binds a column's JS default as a value too: count every column the row may bind.
 */
export function rowsPerStatement<T>(rows: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(D1_LIMITS.boundParametersPerStatement / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
