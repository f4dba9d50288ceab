import { and, eq, sql } from "drizzle-orm";
import { SegmentReport } from "../../../contracts/agent-protocol.ts";
import { backupSetSegments, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { lifecycleEvent } from "../media-sets/lifecycle-event.ts";
import { touchMediaSet } from "../media-sets/touch-media-set.ts";
import { onceAtMost } from "./once-at-most.ts";
import type { OrderRow } from "./order-of.ts";
import { setOf } from "./set-of.ts";

/** Records that a set's data file and TOC are closed on a tape, and where that tape now ends. */
export async function recordSegment(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const report = SegmentReport.parse(raw);
  const set = await setOf(ctx, order, report.setUuid);
  const tape = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, report.tapeBarcode) });
  if (!tape) throw new AppError("not_found", `Tape ${report.tapeBarcode} is not in the catalog`);
  const known = await ctx.db.query.backupSetSegments.findFirst({
    where: and(eq(backupSetSegments.setId, set.id), eq(backupSetSegments.sequence, report.sequence)),
  });
  // The same segment reported again adds its bytes to the tape once.
  const addedBytes = report.bytes - (known && known.tapeId === tape.id ? known.bytes : 0);
  const now = ctx.now();
  const values = {
    tapeId: tape.id,
    fileNumber: report.fileNumber,
    streamOffset: report.streamOffset,
    bytes: report.bytes,
    blocks: report.blocks,
    complete: report.complete,
  };
  await onceAtMost(ctx, order, report.seq, [
    ctx.db
      .insert(backupSetSegments)
      .values({ setId: set.id, sequence: report.sequence, createdAt: now, ...values })
      .onConflictDoUpdate({ target: [backupSetSegments.setId, backupSetSegments.sequence], set: values }),
    ctx.db
      .update(tapes)
      .set({
        fileCount: report.nextFile,
        usedBytes: sql`${tapes.usedBytes} + ${addedBytes}`,
        state: report.tapeFull ? "full" : "active",
        firstWrittenAt: tape.firstWrittenAt ?? now,
        lastWrittenAt: now,
        // The first write after a (re)label makes the tape a member of the set's media set.
        mediaSetId: tape.mediaSetId ?? set.mediaSetId,
        updatedAt: now,
      })
      .where(eq(tapes.id, tape.id)),
  ]);
  if (set.mediaSetId !== null) await touchMediaSet(ctx, set.mediaSetId, now);
  const state = report.tapeFull ? "full" : "active";
  if (tape.state !== state)
    await lifecycleEvent(ctx, {
      action: "tape.state",
      target: `tape:${tape.barcode}`,
      text: `Tape ${tape.barcode} is now ${state}: ${report.tapeFull ? "a backup filled it" : "a backup wrote to it"}${set.mediaSetId ? ` (media set #${set.mediaSetId})` : ""}`,
      details: { tapeId: tape.id, from: tape.state, to: state, setId: set.id },
    });
}
