import { eq } from "drizzle-orm";
import type { GuestOutcome } from "../../../contracts/proxmox.ts";
import { guestBackups, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Each guest of a backup's result, failed ones too, against its set (once: a re-sent result is a no-op). */
export async function recordGuestBackups(
  ctx: ServiceCtx,
  run: { id: number; jobId: number },
  setId: number,
  outcomes: readonly GuestOutcome[],
): Promise<void> {
  const known = await ctx.db.query.guestBackups.findFirst({ where: eq(guestBackups.setId, setId) });
  if (known || outcomes.length === 0) return;
  const job = await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, run.jobId) });
  const now = ctx.now();
  const rows = outcomes.map((o) => ({
    setId,
    runId: run.id,
    sourceId: job?.sourceId ?? null,
    vmid: o.vmid,
    type: o.type,
    name: o.name,
    node: o.node,
    state: o.state,
    bytes: o.bytes,
    sha256: o.sha256,
    archivePath: o.archive,
    configPath: o.config,
    parts: o.parts,
    error: o.error,
    createdAt: now,
  }));
  // A few rows a statement: D1 binds at most 100 values per statement (functions/db/limits.ts).
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
    await ctx.db.insert(guestBackups).values(rows.slice(i, i + ROWS_PER_INSERT));
}

const ROWS_PER_INSERT = 5;
