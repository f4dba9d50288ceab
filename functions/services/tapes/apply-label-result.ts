import { eq } from "drizzle-orm";
import type { LabelOrderBody } from "../../../contracts/agent-protocol.ts";
import { tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Applied when the agent reports the label written. */
export async function applyLabelResult(ctx: ServiceCtx, payload: Record<string, unknown>) {
  const tapeId = payload.tapeId as number;
  const tape = (payload as unknown as LabelOrderBody).tape;
  const now = ctx.now();
  await ctx.db
    .update(tapes)
    .set({
      label: tape.label,
      uuid: tape.uuid,
      poolId: payload.poolId as number,
      state: "active",
      fileCount: 1,
      usedBytes: 0,
      labelledAt: now,
      firstWrittenAt: null,
      lastWrittenAt: null,
      updatedAt: now,
    })
    .where(eq(tapes.id, tapeId));
}
