import { and, eq, type Query, sql } from "drizzle-orm";
import { CatalogChunkHeader } from "../../../contracts/agent-protocol.ts";
import { jsonParts } from "../../db/limits.ts";
import { catalogChunks } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { rebuildOf } from "../scans/scan-order.ts";
import { catalogRows } from "./catalog-rows.ts";
import type { Statement } from "./once-at-most.ts";
import type { OrderRow } from "./order-of.ts";
import { setOf } from "./set-of.ts";

/**
 * Ingests one catalog chunk. The chunk marker and its rows go in one atomic batch, so a chunk
 * is either wholly in or not at all, and a re-sent chunk (same set, same seq) changes nothing.
 * Rows travel to SQLite as one JSON parameter expanded by json_each: one statement per chunk
 * instead of one bound value per column per row, the dominant cost of the drivers.
 */
export async function ingestCatalogChunk(
  ctx: ServiceCtx,
  order: OrderRow,
  raw: unknown,
): Promise<{ duplicate: boolean; entries: number }> {
  const chunk = CatalogChunkHeader.parse(raw);
  const rows = catalogRows(chunk.entries);
  const set = await setOf(ctx, order, chunk.setUuid);
  // A rebuild from the tape's TOC adds only what the catalog lacks: the rows it holds keep what a
  // TOC does not carry (device and FIFO types, the hash of a file cut by the end of a tape). That
  // match makes a re-sent chunk a no-op; no chunk marker, as the TOC's chunk numbers (scanChunkSeq)
  // are ones the backup's own chunks may already have used, and a second rebuild must read again.
  const rebuild = rebuildOf(order) === chunk.setUuid;
  // One statement per part of at most MAX_JSON_VALUE_BYTES of JSON (D1's value limit), all in the
  // chunk's one batch: a chunk of MAX_REPORT_BYTES is still wholly in or not at all.
  const [first, ...more] = jsonParts(rows).map((json) =>
    ctx.db.run(sql`insert into catalog_entries
    (set_id, dir, name, type, size, mode, uid, gid, mtime, link_target, sha256, offset, segment, end_segment, deleted)
    select ${set.id}, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7,
           value->>8, value->>9, value->>10, value->>11, value->>12, value->>13
    from json_each(${json}) ${
      rebuild
        ? sql`where not exists (select 1 from catalog_entries e where e.set_id = ${set.id}
            and e.dir = value->>0 and e.name = value->>1 and e.offset = value->>10)`
        : sql``
    }`),
  );
  const insertRows: [Statement, ...Statement[]] = [first as Statement, ...more];
  if (rebuild) {
    await writeBatch(ctx, insertRows);
    return { duplicate: false, entries: rows.length };
  }
  const seen = await ctx.db.query.catalogChunks.findFirst({
    where: and(eq(catalogChunks.setId, set.id), eq(catalogChunks.sequence, chunk.seq)),
  });
  if (seen) return { duplicate: true, entries: seen.entries };
  try {
    await writeBatch(ctx, [
      ctx.db
        .insert(catalogChunks)
        .values({ setId: set.id, sequence: chunk.seq, entries: rows.length, receivedAt: ctx.now() }),
      ...insertRows,
    ]);
  } catch (error) {
    if (String(error).includes("UNIQUE")) return { duplicate: true, entries: rows.length };
    throw error;
  }
  return { duplicate: false, entries: rows.length };
}

/**
 * The chunk's batch, through `ctx.catalogWrites` where the runtime has it (a worker thread on Node
 * with an embedded catalog, docs/adr/0029): the same statements as drizzle builds them for `db`,
 * in one transaction there; otherwise `db.batch` on this thread, as D1 and remote libSQL run it.
 */
async function writeBatch(ctx: ServiceCtx, statements: [Statement, ...Statement[]]): Promise<void> {
  if (!ctx.catalogWrites) {
    await ctx.db.batch(statements);
    return;
  }
  await ctx.catalogWrites.batch(statements.map(builtQuery));
}

/** A batch item's SQL and values as drizzle gives them to the driver: a raw `run` or a builder. */
function builtQuery(statement: Statement): { sql: string; params: unknown[] } {
  const s = statement as unknown as { getQuery?(): Query; toSQL(): Query };
  const { sql, params } = s.getQuery ? s.getQuery() : s.toSQL();
  return { sql, params };
}
