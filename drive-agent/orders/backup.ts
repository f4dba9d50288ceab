import type { BackupExecutor } from "./types.ts";

// STUB so the runtime branch compiles: the backup pipeline (another branch) replaces this file.
export const executeBackup: BackupExecutor = async () => ({
  state: "failed",
  error: "backup executor not built",
  retryable: false,
});
