import { eq } from "drizzle-orm";
import { backupSetSegments, backupSets, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/**
 * Why the tape may not be erased or relabelled, or null when it may. Conservative stand-in for
 * the lifecycle rule (issue 15 replaces the body): any backup set on the tape refuses it unless
 * the tape is expired.
 */
export async function reuseRefusal(ctx: ServiceCtx, tapeId: number): Promise<string | null> {
  const tape = await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, tapeId) });
  if (!tape) return `tape ${tapeId} does not exist`;
  const sets = await ctx.db
    .selectDistinct({ id: backupSets.id, uuid: backupSets.uuid })
    .from(backupSetSegments)
    .innerJoin(backupSets, eq(backupSets.id, backupSetSegments.setId))
    .where(eq(backupSetSegments.tapeId, tapeId));
  if (sets.length === 0 || tape.state === "expired") return null;
  const named = sets
    .slice(0, 5)
    .map((s) => `set ${s.id}`)
    .join(", ");
  return `${tape.barcode} holds ${sets.length} backup set(s) (${named}${sets.length > 5 ? ", ..." : ""}) and is ${tape.state}, not expired`;
}
