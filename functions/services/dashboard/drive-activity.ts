/** What a drive is doing, in the operator's words: a run in progress on it says more than the agent's "idle". */
export type DriveActivity =
  | "writing"
  | "reading"
  | "paused"
  | "waiting for tape"
  | "cleaning"
  | "idle"
  | "error"
  | "offline";

/**
 * `cleaning`: an open library order is cleaning the drive (a clean is an order, not a run); it
 * says more than the "cleaning required" alert that most often asked for it.
 */
export function driveActivity(
  drive: { state: string; alerts?: string[] | null },
  run: { kind: string; state: string } | undefined,
  cleaning = false,
): DriveActivity {
  if (drive.state === "error") return "error";
  if (cleaning) return "cleaning";
  if ((drive.alerts ?? []).length > 0) return "error";
  if (run && run.state !== "queued") {
    if (run.state === "paused") return "paused";
    if (run.state === "waiting-for-tape") return "waiting for tape";
    return run.kind === "backup" || run.kind === "label" ? "writing" : "reading";
  }
  if (drive.state === "offline") return "offline";
  return "idle";
}
