import { sql } from "drizzle-orm";
import type { ServiceCtx } from "../../deps.ts";

/** Whether the catalog answers a trivial query. */
export async function catalogAnswers(ctx: Pick<ServiceCtx, "db">): Promise<boolean> {
  try {
    await ctx.db.run(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
