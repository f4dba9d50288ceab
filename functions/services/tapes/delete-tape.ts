import { and, count, eq } from "drizzle-orm";
import { backupSetSegments, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getTape } from "./get-tape.ts";

/** Only a tape the catalog knows no data on may be forgotten; one with sets is retired instead. */
export async function deleteTape(ctx: ServiceCtx, id: number) {
  const tape = await getTape(ctx, id);
  const [segments] = await ctx.db
    .select({ n: count() })
    .from(backupSetSegments)
    .where(and(eq(backupSetSegments.tapeId, id)));
  if ((segments?.n ?? 0) > 0) {
    throw conflict(
      `Tape ${tape.barcode} holds ${segments?.n} backup set segment(s); retire it instead of deleting it`,
    );
  }
  await ctx.db.delete(tapes).where(eq(tapes.id, id));
  return tape;
}
