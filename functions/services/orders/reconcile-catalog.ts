import { and, asc, eq, gt } from "drizzle-orm";
import type { SegmentCatalogTally } from "../../../contracts/agent-protocol.ts";
import { CatalogDigest, joinCatalogPath, SegmentDigests } from "../../../contracts/catalog-digest.ts";
import { toWireEntry } from "../../../contracts/catalog-record.ts";
import { catalogEntries } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Rows read per query while tallying: bounded memory whatever the set's size. */
const PAGE_ROWS = 5_000;

/** Per segment, the count and CatalogDigest of the set's catalog rows as the hub holds them now. */
export async function tallyHeldCatalog(ctx: ServiceCtx, setId: number): Promise<Map<number, CatalogDigest>> {
  const held = new SegmentDigests();
  let after = 0;
  for (;;) {
    const rows = await ctx.db
      .select({
        id: catalogEntries.id,
        dir: catalogEntries.dir,
        name: catalogEntries.name,
        type: catalogEntries.type,
        size: catalogEntries.size,
        mode: catalogEntries.mode,
        uid: catalogEntries.uid,
        gid: catalogEntries.gid,
        mtime: catalogEntries.mtime,
        linkTarget: catalogEntries.linkTarget,
        sha256: catalogEntries.sha256,
        offset: catalogEntries.offset,
        segment: catalogEntries.segment,
        endSegment: catalogEntries.endSegment,
        deleted: catalogEntries.deleted,
      })
      .from(catalogEntries)
      .where(and(eq(catalogEntries.setId, setId), gt(catalogEntries.id, after)))
      .orderBy(asc(catalogEntries.id))
      .limit(PAGE_ROWS);
    for (const r of rows)
      held.add(toWireEntry({ ...r, path: joinCatalogPath(r.dir, r.name), deleted: Boolean(r.deleted) }));
    const last = rows.at(-1);
    if (!last || rows.length < PAGE_ROWS) return held.bySegment;
    after = last.id;
  }
}

export type SegmentCheck = { sequence: number; checked: boolean; problem: string | null };

const n = (count: number) => count.toLocaleString("en-US");
const entries = (count: number) => `${n(count)} ${count === 1 ? "entry" : "entries"}`;

/**
 * Compares what the agent says it sent to the catalog (per segment) with what the catalog holds.
 * `tapeOf` names the tape of a segment for the operator.
 */
export function compareCatalog(
  declared: SegmentCatalogTally[],
  held: Map<number, CatalogDigest>,
  tapeOf: (sequence: number) => string,
): SegmentCheck[] {
  const checks: SegmentCheck[] = [];
  const sequences = new Set([...declared.map((d) => d.sequence), ...held.keys()]);
  for (const sequence of [...sequences].sort((a, b) => a - b)) {
    const want = declared.find((d) => d.sequence === sequence);
    const have = held.get(sequence);
    const got = have?.entries ?? 0;
    const tape = tapeOf(sequence);
    let problem: string | null = null;
    if (!want) problem = `the catalog holds ${entries(got)} on ${tape} that the agent never reported writing`;
    else if (got < want.entries)
      problem = `catalog short by ${entries(want.entries - got)} on ${tape}: the hub holds ${n(got)} of the ${n(want.entries)} the agent wrote`;
    else if (got > want.entries)
      problem = `the catalog holds ${entries(got - want.entries)} more than the agent wrote on ${tape} (${n(got)} against ${n(want.entries)})`;
    else if ((have?.hex() ?? new CatalogDigest().hex()) !== want.digest)
      problem = `the catalog's ${entries(got)} on ${tape} differ from what the agent wrote (digest mismatch)`;
    checks.push({ sequence, checked: problem === null, problem });
  }
  return checks;
}
