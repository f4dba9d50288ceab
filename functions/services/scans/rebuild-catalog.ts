import { and, asc, eq, isNotNull } from "drizzle-orm";
import { z } from "zod";
import { backupSetSegments, backupSets, drives, jobRuns, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { startScan } from "./start-scan.ts";

export const rebuildCatalogInput = z.object({
  /** The drive to read the set's tapes in; default: the drive that wrote the set. */
  driveId: z.number().int().positive().optional(),
});

/**
 * Rebuilds a set's catalog from its tapes: one scan of each tape the set is on, in order, that adds
 * what the catalog lacks from the tape's TOC and checks each tape's catalog against it. The set is
 * complete again once every tape's catalog matches its TOC.
 */
export async function rebuildSetCatalog(
  ctx: ServiceCtx,
  setId: number,
  input: z.output<typeof rebuildCatalogInput>,
  triggeredBy: string,
) {
  const set = getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId) }),
    "Backup set",
    setId,
  );
  if (set.state === "writing")
    throw conflict(`Set ${setId} is still being written; rebuild it once its run ended`);
  const segments = await ctx.db
    .select({ sequence: backupSetSegments.sequence, barcode: tapes.barcode })
    .from(backupSetSegments)
    .innerJoin(tapes, eq(tapes.id, backupSetSegments.tapeId))
    .where(eq(backupSetSegments.setId, setId))
    .orderBy(asc(backupSetSegments.sequence));
  if (segments.length === 0)
    throw conflict(
      `No tape of set ${setId} is in the catalog: nothing to rebuild from; scan its tapes instead`,
    );
  const driveId = input.driveId ?? (await writerDrive(ctx, set.runId));
  if (!driveId)
    throw new AppError(
      "validation_failed",
      `Say which drive should read the tapes of set ${setId} (driveId)`,
    );
  getOrThrow(await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) }), "Drive", driveId);
  const runs = [];
  for (const { barcode } of segments)
    runs.push(
      await startScan(
        ctx,
        driveId,
        {
          barcode,
          rebuildSetUuid: set.uuid,
          message: `Rebuilding the catalog of set ${setId} from the TOC of ${barcode}`,
        },
        triggeredBy,
      ),
    );
  return { set: { id: set.id, uuid: set.uuid }, tapes: segments.map((s) => s.barcode), runs };
}

async function writerDrive(ctx: ServiceCtx, runId: number | null): Promise<number | null> {
  if (!runId) return null;
  const run = await ctx.db.query.jobRuns.findFirst({
    where: and(eq(jobRuns.id, runId), isNotNull(jobRuns.driveId)),
  });
  return run?.driveId ?? null;
}
