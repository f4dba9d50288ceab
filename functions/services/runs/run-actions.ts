/** What an operator may ask of a run next. The one place these rules live: the verbs check it, the pages and the API show it. */
export interface RunActions {
  pause: boolean;
  resume: boolean;
  cancel: boolean;
  retry: boolean;
}

export interface RunForActions {
  kind: string;
  state: string;
  control: string;
  setId: number | null;
  finishedAt: Date | null;
}

const RETRYABLE = ["failed", "interrupted", "cancelled"];

export function runActions(run: RunForActions): RunActions {
  if (run.finishedAt)
    return {
      pause: false,
      resume: false,
      cancel: false,
      // A backup is queued again; a verify re-reads its set; anything else is planned anew where it started.
      retry:
        RETRYABLE.includes(run.state) && (run.kind === "backup" || (run.kind === "verify" && !!run.setId)),
    };
  const cancelling = run.control === "cancel";
  // A queued run is on no agent yet: nothing to pause. A pause asked for shows as "resume" at once.
  const paused = run.state === "paused" || run.control === "pause";
  return {
    pause: !cancelling && !paused && run.state !== "queued",
    resume: !cancelling && paused,
    cancel: !cancelling,
    retry: false,
  };
}

/** The refusal in the operator's words when a verb is asked for that `runActions` does not allow. */
export function refusal(verb: keyof RunActions, run: RunForActions & { id: number }): string {
  if (verb === "retry")
    return run.finishedAt
      ? `Run ${run.id} is ${run.state}; only a failed, interrupted or cancelled backup or verify can be retried`
      : `Run ${run.id} is still ${run.state}; only a run that ended can be retried`;
  if (run.finishedAt) return `Run ${run.id} already ended (${run.state})`;
  if (run.control === "cancel") return `Run ${run.id} is being cancelled`;
  if (verb === "pause")
    return run.state === "queued"
      ? `Run ${run.id} is queued; only a running run can pause`
      : `Run ${run.id} is already paused`;
  return `Run ${run.id} is ${run.state}; only a paused run can resume`;
}

/** A paused, waiting or ended run moves no data: its last rate and ETA would be stale figures. */
export function liveFigures(run: {
  state: string;
  rateBytesPerSec: number | null;
  etaSeconds: number | null;
}) {
  const moving = run.state === "running";
  return {
    rateBytesPerSec: moving ? run.rateBytesPerSec : null,
    etaSeconds: moving ? run.etaSeconds : null,
  };
}
