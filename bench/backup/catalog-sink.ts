/**
 * The hub's side of a bench run into a real catalog: chunks and segments through the hub's own
 * ingest services, the set closed as the hub closes it. Loaded only in `catalog` mode, so the
 * hub's modules (libSQL, drizzle) do not count in the agent process's peak RSS otherwise.
 */
import { count, eq } from "drizzle-orm";
import {
  type CatalogChunk,
  OrderResult,
  type OrderResult as Result,
  type SegmentReport,
} from "../../contracts/agent-protocol.ts";
import { backupSets, catalogEntries, tapes } from "../../functions/db/schema/index.ts";
import { closeBackupSet } from "../../functions/services/orders/close-backup-set.ts";
import { ingestCatalogChunk } from "../../functions/services/orders/ingest-catalog-chunk.ts";
import { recordSegment } from "../../functions/services/orders/record-segment.ts";
import { createTestHub } from "../../test/helpers/hub.ts";
import { ingestTarget } from "../catalog/ingest-target.ts";

export async function openCatalogSink() {
  const hub = await createTestHub();
  const target = await ingestTarget(hub);
  return {
    setUuid: target.uuid,
    catalogChunk: (chunk: CatalogChunk) => ingestCatalogChunk(hub.ctx, target.order, chunk),
    segment: async (segment: SegmentReport) => {
      const now = new Date();
      await hub.ctx.db
        .insert(tapes)
        .values({ barcode: segment.tapeBarcode, createdAt: now, updatedAt: now })
        .onConflictDoNothing();
      await recordSegment(hub.ctx, target.order, segment);
    },
    close: async (result: Result) => {
      const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, target.uuid) });
      const closing = await closeBackupSet(
        hub.ctx,
        set?.runId as number,
        set?.id as number,
        OrderResult.parse(result),
      );
      const [row] = await hub.ctx.db.select({ n: count() }).from(catalogEntries);
      await hub.close();
      return { entries: row?.n ?? 0, problem: closing.problem };
    },
  };
}
