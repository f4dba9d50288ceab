import { eq } from "drizzle-orm";
import type { OrderResult } from "../../../contracts/agent-protocol.ts";
import { backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Room for the count and the first few names; the run's log names every damaged file. */
const MAX_RESULT_CHARS = 500;

/**
 * Puts a finished verify on its set: "passed", or the agent's short account of the damage
 * ("2 files damaged: a/b.txt (tape X), …"). A verify that was stopped says nothing of the set.
 */
export async function recordVerifyResult(
  ctx: ServiceCtx,
  setId: number,
  result: Pick<OrderResult, "state" | "error">,
): Promise<void> {
  if (result.state !== "completed" && result.state !== "completed-with-warnings" && result.state !== "failed")
    return;
  const verifyResult =
    result.state === "completed"
      ? "passed"
      : (result.error ?? "failed without a reason").slice(0, MAX_RESULT_CHARS);
  await ctx.db
    .update(backupSets)
    .set({ verifiedAt: ctx.now(), verifyResult })
    .where(eq(backupSets.id, setId));
}
