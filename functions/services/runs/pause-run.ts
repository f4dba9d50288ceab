import { eq } from "drizzle-orm";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getRun } from "./get-run.ts";
import { runAllowing } from "./run-allowing.ts";

export async function pauseRun(ctx: ServiceCtx, id: number) {
  await runAllowing(ctx, id, "pause");
  await ctx.db.update(jobRuns).set({ control: "pause" }).where(eq(jobRuns.id, id));
  return getRun(ctx, id);
}
