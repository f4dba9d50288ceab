import { and, eq, inArray, isNull } from "drizzle-orm";
import type { LibraryOrderBody, LibraryResult } from "../../../contracts/agent-protocol.ts";
import { backupSetSegments, mediaSets, pools, TAPE_STATES, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { DEFAULT_CLEANING_USES } from "../drives/cleaning-uses.ts";
import { raiseDriveEvent } from "../drives/raise-drive-event.ts";
import { mediaTypeOf } from "../tapes/media-type.ts";
import { moveTapeState } from "../tapes/move-tape-state.ts";
import { stateOnReturn } from "../tapes/state-on-return.ts";

type Payload = LibraryOrderBody & { changerId: number; driveId: number; tapeId?: number; location?: string };

/**
 * Records what a library order did, also when it stopped midway: imported cartridges registered
 * (read-labelled, foreign or blank), exported ones offsite at their location, a cleaning counted,
 * an erased tape blank again. Where each cartridge now sits comes with the next heartbeat.
 */
export async function applyLibraryResult(
  ctx: ServiceCtx,
  raw: Record<string, unknown>,
  result: LibraryResult | undefined,
  state: string,
): Promise<void> {
  const payload = raw as unknown as Payload;
  const now = ctx.now();
  for (const item of result?.imported ?? []) {
    const existing = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, item.barcode) });
    const values = await importedValues(ctx, item, existing);
    if (existing)
      await ctx.db
        .update(tapes)
        .set({ ...values, changerId: payload.changerId, slot: item.slot, location: null, updatedAt: now })
        .where(eq(tapes.id, existing.id));
    else
      await ctx.db.insert(tapes).values({
        barcode: item.barcode,
        generation: mediaTypeOf(item.barcode),
        changerId: payload.changerId,
        slot: item.slot,
        createdAt: now,
        updatedAt: now,
        ...values,
      });
  }
  const exported = result?.exported ?? [];
  if (exported.length > 0) await recordExported(ctx, exported, payload.location ?? "offsite");
  if (result?.cleaned) await recordCleaning(ctx, payload, result.cleaned, state);
  if (result?.erased && payload.tapeId) {
    await ctx.db.batch([
      ctx.db.delete(backupSetSegments).where(eq(backupSetSegments.tapeId, payload.tapeId)),
      ctx.db
        .update(tapes)
        .set({
          state: "blank",
          label: null,
          uuid: null,
          poolId: null,
          usedBytes: 0,
          fileCount: 0,
          labelledAt: null,
          firstWrittenAt: null,
          lastWrittenAt: null,
          expiresAt: null,
          notes: `erased (${result.erased.long ? "long" : "short"}) ${now.toISOString()}`,
          updatedAt: now,
        })
        .where(eq(tapes.id, payload.tapeId)),
    ]);
  }
}

type Imported = NonNullable<LibraryResult["imported"]>[number];

async function importedValues(
  ctx: ServiceCtx,
  item: Imported,
  existing: typeof tapes.$inferSelect | undefined,
): Promise<Partial<typeof tapes.$inferInsert>> {
  if (item.kind === "cleaning")
    return { state: "cleaning", cleaningMaxUses: existing?.cleaningMaxUses ?? DEFAULT_CLEANING_USES };
  if (item.kind === "foreign")
    return {
      state: "foreign",
      notes: `imported: ${item.filesOnTape} tape file(s) of another program's data`,
    };
  if (item.kind === "blank") {
    // A tape the catalog knows to hold sets that now reads blank must be looked at, not reused.
    const held = existing
      ? await ctx.db.query.backupSetSegments.findFirst({ where: eq(backupSetSegments.tapeId, existing.id) })
      : undefined;
    return held
      ? { state: "error", notes: "imported: reads as blank, but the catalog has sets on it" }
      : { state: "blank", label: null, uuid: null };
  }
  const label = item.label;
  if (!label) return {};
  if (existing?.uuid === label.uuid) {
    // Back from offsite: a tape with sets is not appended to again until an operator says so.
    if (existing.state !== "offsite" && existing.state !== "exported") return {};
    const to = await stateOnReturn(ctx, existing);
    await moveTapeState(ctx, existing.id, ["offsite", "exported"], to, "imported into the library again");
    return { state: to };
  }
  const pool = label.pool
    ? await ctx.db.query.pools.findFirst({ where: eq(pools.name, label.pool) })
    : undefined;
  return {
    state: "active",
    label: label.label,
    uuid: label.uuid,
    poolId: pool?.id ?? null,
    fileCount: item.filesOnTape,
    notes: `imported: TapeBackarr label "${label.label}" from pool "${label.pool}"; scan it to add its sets`,
  };
}

/** Exported cartridges are offsite at the location given, each audited; their media sets count days away. */
async function recordExported(ctx: ServiceCtx, exported: { barcode: string }[], location: string) {
  const rows = await ctx.db.query.tapes.findMany({
    where: inArray(
      tapes.barcode,
      exported.map((e) => e.barcode),
    ),
  });
  for (const tape of rows)
    await moveTapeState(
      ctx,
      tape.id,
      TAPE_STATES.filter((s) => s !== "offsite"),
      "offsite",
      `exported through the changer to ${location}`,
      { location },
    );
  const sets = [...new Set(rows.map((t) => t.mediaSetId).filter((id) => id !== null))];
  if (sets.length > 0)
    await ctx.db
      .update(mediaSets)
      .set({ offsiteAt: ctx.now() })
      .where(and(inArray(mediaSets.id, sets), isNull(mediaSets.offsiteAt)));
}

async function recordCleaning(
  ctx: ServiceCtx,
  payload: Payload,
  cleaned: NonNullable<LibraryResult["cleaned"]>,
  state: string,
) {
  const cartridge = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, cleaned.barcode) });
  const maxUses = cleaned.maxUses ?? cartridge?.cleaningMaxUses ?? DEFAULT_CLEANING_USES;
  const uses = cleaned.uses ?? (cartridge?.cleaningUses ?? 0) + (cleaned.spent ? 0 : 1);
  if (cartridge)
    await ctx.db
      .update(tapes)
      .set({ cleaningUses: cleaned.spent ? maxUses : uses, cleaningMaxUses: maxUses, updatedAt: ctx.now() })
      .where(eq(tapes.id, cartridge.id));
  await raiseDriveEvent(ctx, {
    action: cleaned.spent ? "drive.clean_failed" : "drive.cleaned",
    driveId: payload.driveId,
    outcome: cleaned.spent || !state.startsWith("completed") ? "failure" : "success",
    details: {
      cartridge: cleaned.barcode,
      uses,
      maxUses,
      spent: cleaned.spent,
      automatic: (payload as { auto?: boolean }).auto ?? false,
    },
  });
}
