import { count, eq, gt, inArray, max, min, sql, sum } from "drizzle-orm";
import {
  backupSets,
  drives,
  encryptionKeys,
  jobRuns,
  jobs,
  pools,
  sources,
  tapes,
} from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** GET /api/v1/dashboard in the upstream TapeBackarr's JSON shape (what its desk monitor reads). */
export interface MonitorDashboard {
  total_tapes: number;
  active_tapes: number;
  total_jobs: number;
  running_jobs: number;
  recent_backups: number;
  drive_status: string;
  total_data_bytes: number;
  loaded_tape: string;
  pool_storage: {
    id: number;
    name: string;
    tape_count: number;
    total_capacity_bytes: number;
    total_used_bytes: number;
    total_free_bytes: number;
  }[];
  total_files_cataloged: number;
  total_sources: number;
  total_encryption_keys: number;
  last_backup_time: string | null;
  total_backup_sets: number;
  oldest_backup: string | null;
}

const n = (v: unknown) => Number(v ?? 0);

/** One catalog read of the figures upstream's dashboard endpoint gives; a drive busy wins over idle. */
export async function getMonitorDashboard(ctx: ServiceCtx): Promise<MonitorDashboard> {
  const since = new Date(ctx.now().getTime() - 24 * 3600_000);
  const complete = eq(backupSets.state, "complete");
  const [tapeRow, activeTapes, jobRow, running, recent, setRow, sourceRow, keyRow, poolRows, driveRows] =
    await Promise.all([
      ctx.db.select({ n: count() }).from(tapes),
      ctx.db.select({ n: count() }).from(tapes).where(eq(tapes.state, "active")),
      ctx.db.select({ n: count() }).from(jobs),
      ctx.db
        .select({ n: count() })
        .from(jobRuns)
        .where(inArray(jobRuns.state, ["running", "waiting-for-tape", "paused"])),
      ctx.db.select({ n: count() }).from(backupSets).where(gt(backupSets.startedAt, since)),
      ctx.db
        .select({
          n: count(),
          bytes: sum(backupSets.sourceBytes),
          files: sum(backupSets.fileCount),
          last: max(backupSets.finishedAt),
          oldest: min(backupSets.startedAt),
        })
        .from(backupSets)
        .where(complete),
      ctx.db.select({ n: count() }).from(sources),
      ctx.db.select({ n: count() }).from(encryptionKeys),
      ctx.db
        .select({
          id: pools.id,
          name: pools.name,
          tapes: sql<number>`count(${tapes.id})`,
          capacity: sql<number>`coalesce(sum(${tapes.capacityBytes}), 0)`,
          used: sql<number>`coalesce(sum(${tapes.usedBytes}), 0)`,
        })
        .from(pools)
        .leftJoin(tapes, eq(tapes.poolId, pools.id))
        .groupBy(pools.id)
        .orderBy(pools.name),
      ctx.db
        .select({ state: drives.state, loaded: tapes.label, barcode: tapes.barcode })
        .from(drives)
        .leftJoin(tapes, eq(tapes.id, drives.loadedTapeId))
        .orderBy(drives.id),
    ]);
  const states = driveRows.map((d) => d.state);
  const driveStatus = states.includes("busy") ? "busy" : states.includes("idle") ? "ready" : "offline";
  const loaded = driveRows.find((d) => d.barcode);
  const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
  const set = setRow[0];
  return {
    total_tapes: n(tapeRow[0]?.n),
    active_tapes: n(activeTapes[0]?.n),
    total_jobs: n(jobRow[0]?.n),
    running_jobs: n(running[0]?.n),
    recent_backups: n(recent[0]?.n),
    drive_status: driveStatus,
    total_data_bytes: n(set?.bytes),
    loaded_tape: loaded ? (loaded.loaded ?? loaded.barcode ?? "") : "",
    pool_storage: poolRows.map((p) => ({
      id: p.id,
      name: p.name,
      tape_count: n(p.tapes),
      total_capacity_bytes: n(p.capacity),
      total_used_bytes: n(p.used),
      total_free_bytes: n(p.capacity) - n(p.used),
    })),
    total_files_cataloged: n(set?.files),
    total_sources: n(sourceRow[0]?.n),
    total_encryption_keys: n(keyRow[0]?.n),
    last_backup_time: iso(set?.last instanceof Date ? set.last.getTime() : set?.last),
    total_backup_sets: n(set?.n),
    oldest_backup: iso(set?.oldest instanceof Date ? set.oldest.getTime() : set?.oldest),
  };
}
