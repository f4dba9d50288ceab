import { and, desc, eq, inArray } from "drizzle-orm";
import { jobRuns, jobs, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhere } from "../sites/site-scope.ts";

/** One entry of GET /api/v1/jobs/active in the upstream's shape (its backup JobProgress). */
export interface MonitorActiveJob {
  job_id: number;
  job_name: string;
  backup_set_id: number;
  phase: string;
  message: string;
  status: "running" | "paused";
  file_count: number;
  total_files: number;
  total_bytes: number;
  bytes_written: number;
  write_speed: number;
  tape_label: string;
  tape_capacity_bytes: number;
  tape_used_bytes: number;
  device_path: string;
  estimated_seconds_remaining: number;
  tape_estimated_seconds_remaining: number;
  start_time: string;
  updated_at: string;
  log_lines: string[];
  scan_files_found: number;
  scan_dirs_scanned: number;
  scan_bytes_found: number;
  /** Ours: the run, for a client that knows this hub. */
  run_id: number;
}

const PHASE: Record<string, string> = {
  queued: "initializing",
  running: "streaming",
  "waiting-for-tape": "waiting_for_tape",
  paused: "streaming",
};

/** Runs on an agent or about to be, newest first, as upstream's monitor clients read them. */
export async function listActiveJobs(ctx: ServiceCtx): Promise<MonitorActiveJob[]> {
  const rows = await ctx.db
    .select({ run: jobRuns, job: jobs.name, tape: tapes })
    .from(jobRuns)
    .leftJoin(jobs, eq(jobs.id, jobRuns.jobId))
    .leftJoin(tapes, eq(tapes.id, jobRuns.currentTapeId))
    .where(
      and(
        inArray(jobRuns.state, ["queued", "running", "waiting-for-tape", "paused"]),
        siteWhere(ctx, { kind: "run", id: jobRuns.id }, undefined),
      ),
    )
    .orderBy(desc(jobRuns.id))
    .limit(50);
  return rows.map(({ run, job, tape }) => {
    const rate = run.rateBytesPerSec ?? 0;
    const tapeLeft = tape?.capacityBytes ? Math.max(0, tape.capacityBytes - tape.usedBytes) : 0;
    const started = run.startedAt ?? run.queuedAt;
    return {
      job_id: run.jobId ?? 0,
      job_name: job ?? `${run.kind} run`,
      backup_set_id: run.setId ?? 0,
      phase: PHASE[run.state] ?? run.state,
      message: run.operatorMessage ?? "",
      status: run.state === "paused" ? "paused" : "running",
      file_count: run.filesDone ?? 0,
      total_files: run.filesTotal ?? 0,
      total_bytes: run.bytesTotal ?? 0,
      bytes_written: run.bytesDone ?? 0,
      write_speed: rate,
      tape_label: tape?.label ?? tape?.barcode ?? "",
      tape_capacity_bytes: tape?.capacityBytes ?? 0,
      tape_used_bytes: tape?.usedBytes ?? 0,
      device_path: "",
      estimated_seconds_remaining: run.etaSeconds ?? 0,
      tape_estimated_seconds_remaining: rate > 0 ? Math.round(tapeLeft / rate) : 0,
      start_time: started.toISOString(),
      updated_at: (run.progressAt ?? started).toISOString(),
      log_lines: [],
      scan_files_found: 0,
      scan_dirs_scanned: 0,
      scan_bytes_found: 0,
      run_id: run.id,
    };
  });
}
