import { and, eq, getTableColumns, inArray, isNotNull, isNull, notInArray, sql } from "drizzle-orm";
import type { ChangerReport, DriveReport } from "../../../contracts/agent-protocol.ts";
import { rowsPerStatement } from "../../db/limits.ts";
import { changers, drives, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { followLibrary } from "../sites/follow-library.ts";
import { isCleaningBarcode, mediaTypeOf } from "../tapes/media-type.ts";
import { returnSeenTapes } from "../tapes/return-seen-tapes.ts";

/** The alert of a drive the agent no longer reports (unplugged, or gone from a rescan). */
export const DRIVE_MISSING = "missing: the agent no longer reports this drive";

/** Makes the catalog's drives and changers of an agent match what it reports. */
export async function syncHardware(
  ctx: ServiceCtx,
  agentId: string,
  driveReports: DriveReport[],
  changerReports: ChangerReport[],
) {
  const now = ctx.now();
  for (const changer of changerReports) {
    await ctx.db
      .insert(changers)
      .values({
        agentId,
        name: changer.name,
        devicePath: changer.devicePath,
        slotCount: changer.slots.filter((s) => !s.importExport).length,
        importExportCount: changer.slots.filter((s) => s.importExport).length,
        inventory: changer.slots,
        lastSeenAt: now,
        createdAt: now,
      })
      .onConflictDoUpdate({
        target: [changers.agentId, changers.devicePath],
        set: { name: changer.name, inventory: changer.slots, lastSeenAt: now },
      });
  }
  const changerRows = await ctx.db.query.changers.findMany({ where: eq(changers.agentId, agentId) });
  const changerByPath = new Map(changerRows.map((c) => [c.devicePath, c.id]));
  for (const drive of driveReports) {
    const loaded = drive.loadedBarcode
      ? await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, drive.loadedBarcode) })
      : undefined;
    const values = {
      name: drive.name,
      changerId: drive.changerDevice ? (changerByPath.get(drive.changerDevice) ?? null) : null,
      changerIndex: drive.changerIndex,
      vendor: drive.vendor,
      model: drive.model,
      serial: drive.serial,
      generation: drive.generation,
      state: drive.state,
      loadedTapeId: loaded?.id ?? null,
      alerts: drive.alerts,
      lastSeenAt: now,
    };
    await ctx.db
      .insert(drives)
      .values({ agentId, devicePath: drive.devicePath, createdAt: now, ...values })
      .onConflictDoUpdate({ target: [drives.agentId, drives.devicePath], set: values });
  }
  const reported = driveReports.map((d) => d.devicePath);
  if (reported.length > 0) {
    // Never deleted: its history (health, runs) stays, and a rescan that finds it again revives it.
    await ctx.db
      .update(drives)
      .set({ state: "offline", alerts: [DRIVE_MISSING] })
      .where(and(eq(drives.agentId, agentId), notInArray(drives.devicePath, reported)));
  }
  await locateTapes(ctx, agentId, driveReports, changerReports);
}

const STATEMENTS_PER_BATCH = 500;

type Statement = Parameters<ServiceCtx["db"]["batch"]>[0][number];

/**
 * Statements sent a batch at a time: a library of thousands of slots is a few round trips, not
 * one D1 call per cartridge (functions/db/limits.ts).
 */
async function inBatches(ctx: ServiceCtx, statements: Statement[]): Promise<void> {
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH)
    await ctx.db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH) as [Statement, ...Statement[]]);
}

/** Where each known cartridge is, from the agent's view: in a drive, in a changer slot. */
async function locateTapes(
  ctx: ServiceCtx,
  agentId: string,
  driveReports: DriveReport[],
  changerReports: ChangerReport[],
) {
  // A cartridge the library holds but the catalog has never seen is registered as blank.
  const seen = [
    ...driveReports.map((d) => d.loadedBarcode),
    ...changerReports.flatMap((c) => c.slots.map((s) => s.barcode)),
  ].filter((b): b is string => !!b);
  const now = ctx.now();
  // A large library's barcodes, a few rows per statement (D1's bound-parameter limit); drizzle
  // binds the columns' JS defaults too, so every column counts.
  await inBatches(
    ctx,
    rowsPerStatement(seen, Object.keys(getTableColumns(tapes)).length).map((part) =>
      ctx.db
        .insert(tapes)
        .values(
          part.map((barcode) => ({
            barcode,
            // A CLN cartridge is known as one from the start: it never joins a pool.
            state: isCleaningBarcode(barcode) ? ("cleaning" as const) : ("blank" as const),
            generation: mediaTypeOf(barcode),
            createdAt: now,
            updatedAt: now,
          })),
        )
        .onConflictDoNothing(),
    ),
  );
  const driveRows = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, agentId) });
  const changerRows = await ctx.db.query.changers.findMany({ where: eq(changers.agentId, agentId) });
  const placed = new Set<string>();
  /** In a drive or a storage slot: a tape marked away that is here again has come back. */
  const home: string[] = [];
  const moves: Statement[] = [];
  for (const report of driveReports) {
    if (!report.loadedBarcode) continue;
    const drive = driveRows.find((d) => d.devicePath === report.devicePath);
    placed.add(report.loadedBarcode);
    home.push(report.loadedBarcode);
    moves.push(
      ctx.db
        .update(tapes)
        .set({ driveId: drive?.id ?? null, changerId: drive?.changerId ?? null, slot: null, location: null })
        .where(eq(tapes.barcode, report.loadedBarcode)),
    );
  }
  for (const report of changerReports) {
    const changer = changerRows.find((c) => c.devicePath === report.devicePath);
    for (const slot of report.slots) {
      if (!slot.barcode || placed.has(slot.barcode)) continue;
      placed.add(slot.barcode);
      if (!slot.importExport) home.push(slot.barcode);
      // A cartridge in a mail slot is on its way out (exported, with its offsite location) or in.
      const where = { driveId: null, changerId: changer?.id ?? null, slot: slot.slot };
      moves.push(
        ctx.db
          .update(tapes)
          .set(slot.importExport ? where : { ...where, location: null })
          .where(eq(tapes.barcode, slot.barcode)),
      );
    }
  }
  await inBatches(ctx, moves);
  await returnSeenTapes(ctx, home);
  await followLibrary(ctx, agentId, [...placed]);
  await fillCapacities(ctx, driveReports, changerReports);
  // Tapes this agent's library held before but no longer reports have left it.
  const changerIds = changerRows.map((c) => c.id);
  const driveIds = driveRows.map((d) => d.id);
  const gone = [...placed];
  for (const [column, ids] of [
    [tapes.changerId, changerIds],
    [tapes.driveId, driveIds],
  ] as const) {
    if (ids.length === 0) continue;
    await ctx.db
      .update(tapes)
      .set({ driveId: null, changerId: null, slot: null })
      .where(
        and(
          inArray(column, ids),
          isNotNull(column),
          // As one JSON value, however many barcodes (D1's bound-parameter limit).
          gone.length > 0
            ? sql`${tapes.barcode} not in (select value from json_each(${JSON.stringify(gone)}))`
            : undefined,
        ),
      );
  }
}

/**
 * A tape's native capacity, the first time an agent knows it (the vtl's cartridge, a barcode's
 * media type). A known capacity is never replaced by a report that does not know it.
 */
async function fillCapacities(ctx: ServiceCtx, driveReports: DriveReport[], changerReports: ChangerReport[]) {
  const known = new Map<string, number>();
  for (const d of driveReports)
    if (d.loadedBarcode && d.loadedCapacityBytes) known.set(d.loadedBarcode, d.loadedCapacityBytes);
  for (const c of changerReports)
    for (const s of c.slots) if (s.barcode && s.capacityBytes) known.set(s.barcode, s.capacityBytes);
  if (known.size === 0) return;
  const missing = await ctx.db
    .select({ barcode: tapes.barcode })
    .from(tapes)
    .where(
      and(
        isNull(tapes.capacityBytes),
        sql`${tapes.barcode} in (select value from json_each(${JSON.stringify([...known.keys()])}))`,
      ),
    );
  await inBatches(
    ctx,
    missing.map(({ barcode }) =>
      ctx.db
        .update(tapes)
        .set({ capacityBytes: known.get(barcode) ?? null })
        .where(and(eq(tapes.barcode, barcode), isNull(tapes.capacityBytes))),
    ),
  );
}
