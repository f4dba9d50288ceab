import { and, eq, inArray } from "drizzle-orm";
import type { VerifyOrderBody } from "../../../contracts/agent-protocol.ts";
import { backupSets, jobRuns, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { planRestore } from "../catalog/restore-plan.ts";
import { queueReadRun } from "../restores/queue-read-run.ts";
import { keyOfSet, orderSet, orderTapes } from "../restores/read-order-parts.ts";
import { ACTIVE_RUN_STATES } from "../runs/run-states.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

/**
 * Queues a verify of a whole set: a run (of the set's own job, or of the verify job that chose
 * it) and a work order for the drive that can reach the set's first tape, or a wait for that tape
 * while none can. The agent reads every tape of the set in order; the run's message says which
 * tapes must be fetched.
 */
export async function startVerify(
  ctx: ServiceCtx,
  setId: number,
  triggeredBy: string,
  by: { jobId?: number; retryOf?: number | null } = {},
) {
  const set = getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId) }),
    "Backup set",
    setId,
  );
  if (set.state !== "complete")
    throw conflict(`Set ${set.id} is ${set.state}; only a complete set can be verified`);
  const jobId = by.jobId ?? set.jobId;
  if (!jobId)
    throw conflict(`Set ${set.id} belongs to no job; verify it with drive-agent verify on the tape host`);
  const active = await ctx.db.query.jobRuns.findFirst({
    where: and(
      eq(jobRuns.setId, set.id),
      eq(jobRuns.kind, "verify"),
      inArray(jobRuns.state, [...ACTIVE_RUN_STATES]),
    ),
  });
  if (active) throw conflict(`Set ${set.id} is being verified by run ${active.id} (${active.state})`);
  const plan = await planRestore(ctx, { setId: set.id, paths: [] }, "set");
  if (plan.tapes.length === 0 || plan.warnings.some((w) => w.includes("on no tape")))
    throw conflict(`Set ${set.id} has a part on no tape the catalog knows; scan its tapes first`);
  const firstBarcode = plan.tapes[0]?.barcode as string;
  const first = getOrThrow(
    await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, firstBarcode) }),
    "Tape",
    firstBarcode,
  );
  const key = await keyOfSet(ctx, set, "verify");
  const body: Omit<VerifyOrderBody, "drive" | "runId"> = {
    kind: "verify",
    set: orderSet(set),
    tapes: await orderTapes(ctx, plan.tapes),
  };
  const run = await queueReadRun(
    ctx,
    {
      jobId,
      kind: "verify",
      triggeredBy,
      retryOf: by.retryOf ?? null,
      queuedAt: ctx.now(),
      filesTotal: plan.entries,
      setId: set.id,
      operatorMessage: plan.tapes.map((t) => t.instruction).join(" · "),
    },
    { tapeId: first.id, body, hubOnly: { encryptionKeyId: key?.id ?? null } },
  );
  return { run, set: { id: set.id, uuid: set.uuid }, tapes: plan.tapes };
}
