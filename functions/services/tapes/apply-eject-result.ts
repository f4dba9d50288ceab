import { and, eq } from "drizzle-orm";
import { drives, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Applied when the agent reports the cartridge out; its next heartbeat says which slot it went to. */
export async function applyEjectResult(ctx: ServiceCtx, payload: Record<string, unknown>) {
  const tapeId = payload.tapeId as number;
  const driveId = payload.driveId as number;
  await ctx.db.batch([
    ctx.db
      .update(drives)
      .set({ loadedTapeId: null })
      .where(and(eq(drives.id, driveId), eq(drives.loadedTapeId, tapeId))),
    ctx.db
      .update(tapes)
      .set({ driveId: null, updatedAt: ctx.now() })
      .where(and(eq(tapes.id, tapeId), eq(tapes.driveId, driveId))),
  ]);
}
