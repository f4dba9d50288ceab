import { and, eq, inArray, or } from "drizzle-orm";
import type { ChangerReport } from "../../../contracts/agent-protocol.ts";
import { backupSets, changers, drives, tapes, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { notFound } from "../../errors.ts";
import { isCleaningBarcode } from "../tapes/media-type.ts";

export type LibraryScanProgress = {
  changer: string;
  /** The drive the scans run on, or null when the changer has none the agent reports. */
  drive: { id: number; name: string } | null;
  cartridges: Array<{ barcode: string; status: "scanned" | "scanning" | "to scan" }>;
  /** Sets found on some tapes but not all of them yet (a span whose other tapes are unscanned). */
  incompleteSets: Array<{ id: number; uuid: string }>;
};

/**
 * Where a rebuild from the whole library stands: each data cartridge of the changer is scanned
 * (a scan of it finished), scanning (a scan is queued or running) or still to scan.
 */
export async function libraryScanProgress(ctx: ServiceCtx, changerId: number): Promise<LibraryScanProgress> {
  const changer = await ctx.db.query.changers.findFirst({ where: eq(changers.id, changerId) });
  if (!changer) throw notFound("changer", changerId);
  const members = await ctx.db.query.drives.findMany({ where: eq(drives.changerId, changerId) });
  const drive = members.find((d) => d.state !== "offline") ?? members[0] ?? null;
  const ids = members.map((d) => d.id);
  const loadedIds = members.map((d) => d.loadedTapeId).filter((id): id is number => id !== null);
  // A cartridge in a drive, by either side of the link (the heartbeat sets both, in turn).
  const loaded = members.length
    ? await ctx.db.query.tapes.findMany({
        where: or(inArray(tapes.driveId, ids), loadedIds.length ? inArray(tapes.id, loadedIds) : undefined),
      })
    : [];
  const inSlots = ((changer.inventory ?? []) as ChangerReport["slots"])
    .filter((s) => !s.importExport && s.barcode)
    .map((s) => s.barcode as string);
  // What a drive holds first: it is scanned without a move.
  const barcodes = [...new Set([...loaded.map((t) => t.barcode), ...inSlots])].filter(
    (b) => !isCleaningBarcode(b),
  );
  const scans = await ctx.db.query.workOrders.findMany({
    where: and(eq(workOrders.kind, "scan"), eq(workOrders.agentId, changer.agentId)),
  });
  const statusOf = (barcode: string): LibraryScanProgress["cartridges"][number]["status"] => {
    const mine = scans.filter((o) => (o.payload as { barcode?: string | null }).barcode === barcode);
    if (mine.some((o) => o.state === "done")) return "scanned";
    if (mine.some((o) => ["pending", "delivered", "acknowledged"].includes(o.state))) return "scanning";
    return "to scan";
  };
  const incompleteSets = await ctx.db
    .select({ id: backupSets.id, uuid: backupSets.uuid })
    .from(backupSets)
    .where(eq(backupSets.state, "incomplete"));
  return {
    changer: changer.name,
    drive: drive ? { id: drive.id, name: drive.name } : null,
    cartridges: barcodes.map((barcode) => ({ barcode, status: statusOf(barcode) })),
    incompleteSets,
  };
}
