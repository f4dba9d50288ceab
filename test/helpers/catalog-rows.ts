import {
  agents,
  backupSets,
  type catalogEntries,
  changers,
  drives,
  jobRuns,
  jobs,
  sources,
} from "../../functions/db/schema/index.ts";
import type { ServiceCtx } from "../../functions/deps.ts";
import type { TestHub } from "./hub.ts";

/**
 * A catalog row for a 5-byte file `dir/name` of the set, at tar offset 0 of its first segment,
 * with `fields` on top.
 */
export const fileEntry = (
  setId: number,
  dir: string,
  name: string,
  fields: Partial<typeof catalogEntries.$inferInsert> = {},
): typeof catalogEntries.$inferInsert => ({
  setId,
  dir,
  name,
  type: "file",
  size: 5,
  mode: 0o644,
  uid: 0,
  gid: 0,
  mtime: 1,
  sha256: "a".repeat(64),
  offset: 0,
  segment: 0,
  endSegment: 0,
  ...fields,
});

/** A complete, unencrypted full set started at `fields.startedAt` (default now), with `fields` on top; its id. */
export async function insertSet(
  hub: TestHub,
  fields: Partial<typeof backupSets.$inferInsert> = {},
): Promise<number> {
  const startedAt = fields.startedAt ?? new Date();
  const [set] = await hub.ctx.db
    .insert(backupSets)
    .values({
      uuid: crypto.randomUUID(),
      backupType: "full",
      state: "complete",
      compression: "none",
      encryption: "none",
      blockSize: 65536,
      createdAt: startedAt,
      ...fields,
      startedAt,
    })
    .returning({ id: backupSets.id });
  if (!set) throw new Error("no set inserted");
  return set.id;
}

type CatalogDb = ServiceCtx["db"];

/** A backup run of job `jobId` in state running, queued at `queuedAt`, with `fields` on top; the row. */
export async function insertRunningBackup(
  db: CatalogDb,
  fields: Partial<typeof jobRuns.$inferInsert> & { jobId: number; queuedAt: Date },
): Promise<typeof jobRuns.$inferSelect> {
  const [run] = await db
    .insert(jobRuns)
    .values({ kind: "backup", state: "running", triggeredBy: "test", ...fields })
    .returning();
  if (!run) throw new Error("no run inserted");
  return run;
}

/** A job `name` made at `now` and a backup run of it, running since `now`, with `fields` on top. */
export async function insertJobRunning(
  db: CatalogDb,
  name: string,
  now: Date,
  fields: Partial<typeof jobRuns.$inferInsert> = {},
): Promise<{ job: typeof jobs.$inferSelect; run: typeof jobRuns.$inferSelect }> {
  const [job] = await db.insert(jobs).values({ name, createdAt: now, updatedAt: now }).returning();
  if (!job) throw new Error("no job inserted");
  return {
    job,
    run: await insertRunningBackup(db, { jobId: job.id, queuedAt: now, startedAt: now, ...fields }),
  };
}

/** An online agent `a1` ("tape-host") with a changer of 8 slots and `driveCount` idle drives, made at `at`. */
export async function insertChangerLibrary(
  db: CatalogDb,
  at: Date,
  driveCount: number,
): Promise<{ changerId: number; drives: (typeof drives.$inferSelect)[] }> {
  await db.insert(agents).values({
    id: "a1",
    name: "tape-host",
    state: "online",
    publicKey: "{}",
    lastSeenAt: at,
    createdAt: at,
    updatedAt: at,
  });
  const [changer] = await db
    .insert(changers)
    .values({ agentId: "a1", name: "Changer", devicePath: "vtl:changer", slotCount: 8, createdAt: at })
    .returning();
  if (!changer) throw new Error("no changer inserted");
  const driveRows = await db
    .insert(drives)
    .values(
      Array.from({ length: driveCount }, (_, i) => ({
        agentId: "a1",
        changerId: changer.id,
        changerIndex: i,
        name: `Drive ${i + 1}`,
        devicePath: `vtl:drive${i}`,
        state: "idle" as const,
        createdAt: at,
      })),
    )
    .returning();
  return { changerId: changer.id, drives: driveRows };
}

/** A local source `name` of /data, made at `at`; its row. */
export async function insertLocalSource(
  db: CatalogDb,
  name: string,
  at: Date,
): Promise<typeof sources.$inferSelect> {
  const [source] = await db
    .insert(sources)
    .values({ name, kind: "local", paths: ["/data"], include: [], exclude: [], createdAt: at, updatedAt: at })
    .returning();
  if (!source) throw new Error("no source inserted");
  return source;
}
