import { eq } from "drizzle-orm";
import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import type { RunRow } from "../runs/run-result.ts";
import type { EventKind } from "./event-kinds.ts";
import type { NewEvent } from "./record-event.ts";

const KIND_OF_STATE: Partial<Record<RunRow["state"], EventKind>> = {
  completed: "run.completed",
  "completed-with-warnings": "run.warnings",
  failed: "run.failed",
  interrupted: "run.interrupted",
};

const WHAT_NEXT: Partial<Record<EventKind, string>> = {
  "run.warnings": "Read the warnings in the run's log.",
  "run.failed": "Read the run's log, fix the cause and retry the run.",
  "run.interrupted":
    "Check that the agent is running and can reach the hub; the run is retried when its job allows.",
  "verify.failed":
    "Read the verify's log for the damaged files; restore them from another copy or back them up again.",
};

/**
 * The event of a run that ended, or null for an end nobody needs to hear about (a cancelled
 * run, a label or scan that completed). A verify that failed is a `verify.failed`.
 */
export async function runFinishedEvent(
  ctx: ServiceCtx,
  run: Pick<RunRow, "id" | "jobId" | "kind" | "agentId" | "driveId">,
  state: RunRow["state"],
  error: string | null | undefined,
): Promise<NewEvent | null> {
  let kind = KIND_OF_STATE[state];
  if (!kind) return null;
  if ((run.kind === "label" || run.kind === "scan") && kind === "run.completed") return null;
  if (run.kind === "verify" && state === "failed") kind = "verify.failed";
  const job = run.jobId ? await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, run.jobId) }) : undefined;
  const name = job?.name ?? `${run.kind} run`;
  const said: Record<EventKind, string> = {
    "run.completed": "completed",
    "run.warnings": "completed with warnings",
    "run.failed": "failed",
    "run.interrupted": "was interrupted",
    "verify.failed": "found damage or could not read the set",
  } as Record<EventKind, string>;
  return {
    kind,
    text: `${name} (run #${run.id}) ${said[kind]}${error ? `: ${error}` : "."}`,
    action: WHAT_NEXT[kind] ?? null,
    href: `/runs/${run.id}`,
    runId: run.id,
    jobId: run.jobId ?? null,
    agentId: run.agentId ?? null,
    driveId: run.driveId ?? null,
    poolId: job?.poolId ?? null,
    dedupeKey: `run.finished:${run.id}`,
  };
}
