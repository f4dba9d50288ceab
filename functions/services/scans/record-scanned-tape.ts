import { eq } from "drizzle-orm";
import { type ScanTapeAnswer, ScanTapeReport } from "../../../contracts/agent-protocol.ts";
import { pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { type OrderRow, scanOnly } from "./scan-order.ts";

const BARCODE = /^[A-Z0-9]{1,16}$/;

/**
 * Registers a scanned tape, or fills in what the catalog did not know about it. Nothing the
 * catalog already holds is overwritten: a tape whose catalogued uuid differs from its label is
 * refused, so two tapes are never merged into one row.
 */
export async function recordScannedTape(
  ctx: ServiceCtx,
  order: OrderRow,
  raw: unknown,
): Promise<ScanTapeAnswer> {
  scanOnly(order);
  const report = ScanTapeReport.parse(raw);
  const { label } = report;
  const barcode = report.barcode ?? (label && BARCODE.test(label.label) ? label.label : null);
  if (!barcode)
    throw new AppError(
      "validation_failed",
      `The drive reports no barcode and the tape's label ${label ? `"${label.label}"` : "is missing"} is not one; scan it in a drive that reads barcodes`,
    );
  const uuid = label?.uuid || null;
  const byBarcode = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, barcode) });
  const byUuid = uuid ? await ctx.db.query.tapes.findFirst({ where: eq(tapes.uuid, uuid) }) : undefined;
  if (byUuid && byUuid.barcode !== barcode)
    throw conflict(
      `Tape ${barcode}'s label has uuid ${uuid}, which the catalog holds for tape ${byUuid.barcode}; check the barcodes of both cartridges`,
    );
  if (byBarcode?.uuid && uuid && byBarcode.uuid !== uuid)
    throw conflict(
      `Tape ${barcode} is catalogued with uuid ${byBarcode.uuid} but its label says ${uuid}: it was relabelled elsewhere; delete the tape from the catalog and scan it again to take the tape's word`,
    );
  const poolId = label?.pool ? await poolByName(ctx, label.pool) : null;
  const now = ctx.now();
  const labelledAt = label ? new Date(label.timestamp * 1000) : null;
  const holdsData = report.kind !== "blank";
  if (!byBarcode) {
    const [row] = await ctx.db
      .insert(tapes)
      .values({
        barcode,
        label: label?.label ?? null,
        uuid,
        poolId,
        state: holdsData ? "active" : "blank",
        fileCount: report.filesOnTape,
        usedBytes: report.plainBytes,
        labelledAt,
        notes: foreignNote(report),
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: tapes.id });
    return { barcode, tapeId: getOrThrow(row, "Tape", barcode).id };
  }
  await ctx.db
    .update(tapes)
    .set({
      label: byBarcode.label ?? label?.label ?? null,
      uuid: byBarcode.uuid ?? uuid,
      poolId: byBarcode.poolId ?? poolId,
      state: byBarcode.state === "blank" && holdsData ? "active" : byBarcode.state,
      fileCount: Math.max(byBarcode.fileCount, report.filesOnTape),
      usedBytes: Math.max(byBarcode.usedBytes, report.plainBytes),
      labelledAt: byBarcode.labelledAt ?? labelledAt,
      notes: byBarcode.notes ?? foreignNote(report),
      updatedAt: now,
    })
    .where(eq(tapes.id, byBarcode.id));
  return { barcode, tapeId: byBarcode.id };
}

function foreignNote(report: ScanTapeReport): string | null {
  if (report.plainFiles === 0) return null;
  return report.kind === "foreign"
    ? `Not a TapeBackarr tape: ${report.plainFiles} tar file(s) found by a scan`
    : `${report.plainFiles} tape file(s) without a TOC (Go TapeBackarr or plain tar) found by a scan`;
}

async function poolByName(ctx: ServiceCtx, name: string): Promise<number> {
  const now = ctx.now();
  await ctx.db.insert(pools).values({ name, createdAt: now, updatedAt: now }).onConflictDoNothing();
  return getOrThrow(await ctx.db.query.pools.findFirst({ where: eq(pools.name, name) }), "Pool", name).id;
}
