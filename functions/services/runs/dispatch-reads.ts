import { and, asc, eq, inArray, isNotNull, isNull, ne } from "drizzle-orm";
import type { OrderBody } from "../../../contracts/agent-protocol.ts";
import { agents, changers, drives, jobRuns, jobs, sites, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { lifecycleEvent } from "../media-sets/lifecycle-event.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { claimDriveAndTape } from "./claim-drive-and-tape.ts";
import { idleDrives, onlineAgents, reaches } from "./idle-drives.ts";

type RunRow = typeof jobRuns.$inferSelect;

const AWAY: readonly string[] = ["offsite", "exported"];

/**
 * Restores and verifies waiting for their tape: each is placed on an idle drive of an online
 * agent that reaches its first tape (in the drive or in its changer; a tape on a shelf also on
 * a drive without a changer, which asks for it) once no other run holds that tape, with the
 * same reservation as backups. Called wherever backups are dispatched, so a
 * tape that appears (inventory, heartbeat, import) starts the run at the agent's next poll.
 */
export async function dispatchWaitingReads(ctx: ServiceCtx): Promise<void> {
  const waiting = await ctx.db.query.jobRuns.findMany({
    where: and(
      eq(jobRuns.state, "queued"),
      inArray(jobRuns.kind, ["restore", "verify"]),
      isNull(jobRuns.agentId),
      isNotNull(jobRuns.pendingOrder),
    ),
    orderBy: asc(jobRuns.queuedAt),
    limit: 20,
  });
  for (const run of waiting) await placeRead(ctx, run);
}

/**
 * Places one waiting read, or says in the run's words why it waits and raises "tape needed"
 * (audited, and an event) whenever that reason changes. True when the order was queued.
 */
export async function placeRead(ctx: ServiceCtx, run: RunRow): Promise<boolean> {
  const pending = run.pendingOrder;
  if (!pending) return false;
  const tape = await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, pending.tapeId) });
  if (!tape) return waitFor(ctx, run, "?", "its tape is no longer in the catalog; cancel this run");
  const named = pending.driveId as number | undefined;
  // A tape is read at its site: by the agent named, else by any agent there.
  const online = await onlineAgents(ctx);
  const agentsUp = online.filter(
    (a) =>
      (pending.agentId === undefined || a.id === pending.agentId) &&
      (tape.siteId === null || a.siteId === null || a.siteId === tape.siteId),
  );
  const idle = (await Promise.all(agentsUp.map((a) => idleDrives(ctx, a.id)))).flat();
  // A tape on a shelf (not away, in no changer) can go to a drive without a changer, where the
  // agent asks for it by name: a lone drive may not report which cartridge it holds.
  const shelved = tape.changerId === null && tape.driveId === null && !AWAY.includes(tape.state);
  const eligible = named
    ? idle.filter((d) => d.id === named)
    : [...idle.filter((d) => reaches(d, tape)), ...(shelved ? idle.filter((d) => d.changerId === null) : [])];
  for (const drive of eligible) {
    const claimed = await claimDriveAndTape(
      ctx,
      run.id,
      { agentId: drive.agentId, driveId: drive.id, tapeId: tape.id },
      { operatorMessage: pending.instruction ?? null, pendingOrder: null },
    );
    if (!claimed) continue;
    const body = { ...pending.body, drive: { devicePath: drive.devicePath } } as OrderBody;
    await queueOrder(ctx, drive.agentId, body, pending.hubOnly);
    return true;
  }
  return waitFor(
    ctx,
    run,
    tape.barcode,
    await whyWaiting(
      ctx,
      run,
      tape,
      agentsUp.map((a) => a.id),
      online.length > agentsUp.length,
    ),
  );
}

async function whyWaiting(
  ctx: ServiceCtx,
  run: RunRow,
  tape: typeof tapes.$inferSelect,
  onlineIds: string[],
  /** Online agents exist, but none the read may use (another site, or not the one named). */
  elsewhereOnline: boolean,
): Promise<string> {
  const [holder] = await ctx.db
    .select({ id: jobRuns.id, kind: jobRuns.kind, job: jobs.name })
    .from(jobRuns)
    .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
    .where(and(isNull(jobRuns.finishedAt), ne(jobRuns.id, run.id), eq(jobRuns.currentTapeId, tape.id)))
    .limit(1);
  if (holder)
    return `${holder.kind} run #${holder.id} of job ${holder.job} has it reserved; this run starts when it is done`;
  if (onlineIds.length === 0)
    return elsewhereOnline
      ? "no drive-agent that may read it (the one named, or one at the tape's site) is online; start it, or record the tape's move"
      : "no drive-agent is online; start one that reaches the tape";
  if (tape.driveId !== null || tape.changerId !== null) {
    const where = tape.driveId !== null ? "in a drive" : `in changer slot ${tape.slot ?? "?"}`;
    const home = tape.changerId
      ? await ctx.db.query.changers.findFirst({ where: eq(changers.id, tape.changerId) })
      : await ctx.db.query.drives.findFirst({ where: eq(drives.id, tape.driveId as number) });
    if (home && !onlineIds.includes(home.agentId))
      return `it is ${where} of an agent that is offline; start that drive-agent`;
    return `it is ${where}, but every drive that reaches it is busy; this run starts when one is free`;
  }
  const library = await libraryWords(ctx);
  const away =
    tape.state === "offsite" || tape.state === "exported"
      ? `it is ${tape.state}${tape.location ? ` at ${tape.location}` : ""}: bring it back and `
      : "";
  return `${away}insert it into ${library}`;
}

/** Where an operator should put a tape: the library of the (only) agent, with its site. */
async function libraryWords(ctx: ServiceCtx): Promise<string> {
  const rows = await ctx.db
    .select({ agent: agents.name, site: sites.name, changer: changers.name })
    .from(changers)
    .innerJoin(agents, eq(agents.id, changers.agentId))
    .leftJoin(sites, eq(sites.id, agents.siteId))
    .limit(2);
  const [one] = rows;
  if (rows.length === 1 && one)
    return `${one.changer} of agent ${one.agent}${one.site ? ` at site ${one.site}` : ""}`;
  const drive = await ctx.db.query.drives.findFirst({ where: isNotNull(drives.agentId) });
  return drive && rows.length === 0 ? `drive ${drive.name}` : "a library of an online agent";
}

async function waitFor(ctx: ServiceCtx, run: RunRow, barcode: string, why: string): Promise<false> {
  const message = `Waiting for ${barcode}: ${why}`;
  if (run.operatorMessage === message) return false;
  await ctx.db.update(jobRuns).set({ operatorMessage: message }).where(eq(jobRuns.id, run.id));
  const job = await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, run.jobId) });
  await lifecycleEvent(ctx, {
    action: "run.wait",
    target: `run:${run.id}`,
    text: message,
    details: { barcode, kind: run.kind },
    event: {
      kind: "tape.needed",
      text: `The ${run.kind} run #${run.id} of job ${job?.name ?? run.jobId} is waiting for tape ${barcode}: ${why}`,
      action: "Make the tape available; the run starts by itself once a drive reaches it.",
      href: `/runs/${run.id}`,
      jobId: run.jobId,
      runId: run.id,
      dedupeKey: `tape.needed:${run.id}:${message.slice(0, 200)}`,
    },
  });
  return false;
}
