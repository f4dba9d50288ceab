import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getRun } from "./get-run.ts";
import { type RunActions, refusal, runActions } from "./run-actions.ts";

/** The run, once `runActions` allows `verb` on it; a conflict in the operator's words otherwise. */
export async function runAllowing(ctx: ServiceCtx, id: number, verb: keyof RunActions) {
  const run = await getRun(ctx, id);
  if (!runActions(run)[verb]) throw conflict(refusal(verb, run));
  return run;
}
