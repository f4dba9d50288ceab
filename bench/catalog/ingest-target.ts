import { agents, backupSets, jobRuns, jobs, workOrders } from "../../functions/db/schema/index.ts";
import type { TestHub } from "../../test/helpers/hub.ts";

/**
 * What catalog chunks are ingested into, as for a real backup: an agent, a job, its run, the
 * set being written and the run's work order. Returns the order (chunks arrive on it) and the set's uuid.
 */
export async function ingestTarget(hub: TestHub) {
  const now = new Date();
  const { db } = hub.ctx;
  await db.insert(agents).values({ id: "bench-agent", name: "bench", createdAt: now, updatedAt: now });
  const [job] = await db.insert(jobs).values({ name: "bench", createdAt: now, updatedAt: now }).returning();
  const [run] = await db
    .insert(jobRuns)
    .values({ jobId: job?.id as number, kind: "backup", triggeredBy: "bench", queuedAt: now })
    .returning();
  const uuid = crypto.randomUUID();
  await db.insert(backupSets).values({
    uuid,
    runId: run?.id,
    backupType: "full",
    compression: "none",
    encryption: "none",
    blockSize: 65536,
    startedAt: now,
    createdAt: now,
  });
  const [order] = await db
    .insert(workOrders)
    .values({
      id: crypto.randomUUID(),
      agentId: "bench-agent",
      runId: run?.id,
      kind: "backup",
      payload: {},
      createdAt: now,
      expiresAt: now,
    })
    .returning();
  if (!order) throw new Error("no work order");
  return { order, uuid };
}
