import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { libraryScanProgress } from "./library-scan-progress.ts";
import { startScan } from "./start-scan.ts";

/**
 * Rebuilds the catalog from every cartridge of a changer in one action: a scan run per data
 * cartridge, queued on one drive (its agent runs them in turn, loading each). Asked again after an
 * interruption it resumes: cartridges already scanned, or with a scan still queued, are left be.
 * Sets spanning tapes join whatever order their tapes are scanned in (scan ingest matches them).
 */
export async function scanLibrary(ctx: ServiceCtx, changerId: number, triggeredBy: string) {
  const progress = await libraryScanProgress(ctx, changerId);
  if (!progress.drive)
    throw conflict(`${progress.changer} has no drive the agent reports; nothing can scan it`);
  const todo = progress.cartridges.filter((c) => c.status === "to scan");
  if (todo.length === 0 && !progress.cartridges.some((c) => c.status === "scanning"))
    throw conflict(`Every cartridge of ${progress.changer} is scanned already`);
  const queued: { barcode: string; runId: number }[] = [];
  for (const [i, cartridge] of todo.entries()) {
    const run = await startScan(
      ctx,
      progress.drive.id,
      {
        barcode: cartridge.barcode,
        message: `Library rebuild: scanning ${cartridge.barcode} (${i + 1} of ${todo.length})`,
      },
      triggeredBy,
    );
    queued.push({ barcode: cartridge.barcode, runId: run.id });
  }
  return { ...(await libraryScanProgress(ctx, changerId)), queued };
}
