/** What a drive is doing, in the operator's words: a run in progress on it says more than the agent's "idle". */
export type DriveActivity =
  | "writing"
  | "reading"
  | "paused"
  | "waiting for tape"
  | "idle"
  | "error"
  | "offline";

export function driveActivity(
  drive: { state: string; alerts?: string[] | null },
  run: { kind: string; state: string } | undefined,
): DriveActivity {
  if (drive.state === "error" || (drive.alerts ?? []).length > 0) return "error";
  if (run && run.state !== "queued") {
    if (run.state === "paused") return "paused";
    if (run.state === "waiting-for-tape") return "waiting for tape";
    return run.kind === "backup" || run.kind === "label" ? "writing" : "reading";
  }
  if (drive.state === "offline") return "offline";
  return "idle";
}
