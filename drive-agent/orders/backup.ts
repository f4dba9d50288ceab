import { MAX_CATALOG_CHUNK_ENTRIES } from "../../contracts/agent-protocol.ts";
import { runBackup } from "./backup/backup-run.ts";
import type { BackupTuning } from "./backup/tuning.ts";
import type { BackupExecutor } from "./types.ts";

/** What the agent runs backups with; its catalog chunks hold what the contract allows. */
export const DEFAULT_TUNING: BackupTuning = {
  progressIntervalMs: 1_000,
  tapePollMs: 5_000,
  mbufferBytes: 128 << 20,
  memoryBufferBytes: 32 << 20,
  writesInFlight: 4,
  catalogChunkEntries: MAX_CATALOG_CHUNK_ENTRIES,
  plainChunkBytes: 8 << 20,
};

/** The backup executor with its tuning; tests shorten the intervals, the agent uses the defaults. */
export function createBackupExecutor(tuning: Partial<BackupTuning> = {}): BackupExecutor {
  const settings = { ...DEFAULT_TUNING, ...tuning };
  return (order, ctx) => runBackup(order, ctx, settings);
}

export const executeBackup: BackupExecutor = createBackupExecutor();
