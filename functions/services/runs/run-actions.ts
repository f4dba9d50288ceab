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

/**
 * The rate and ETA a page shows. A paused, waiting or ended run moves no data: its last rate and
 * ETA would be stale. A running run's agent measures the rate between two reports, which reads 0
 * while the pipeline fills a buffer; then the average since the start is the honest figure.
 */
export function liveFigures(
  run: {
    state: string;
    startedAt: Date | null;
    bytesDone: number;
    bytesTotal: number | null;
    rateBytesPerSec: number | null;
    etaSeconds: number | null;
  },
  now: Date,
) {
  if (run.state !== "running") return { rateBytesPerSec: null, etaSeconds: null };
  const seconds = run.startedAt ? (now.getTime() - run.startedAt.getTime()) / 1000 : 0;
  const average = seconds > 1 && run.bytesDone > 0 ? run.bytesDone / seconds : null;
  const rate = run.rateBytesPerSec || average;
  const left = run.bytesTotal !== null ? run.bytesTotal - run.bytesDone : null;
  const eta = run.etaSeconds ?? (rate && left !== null && left > 0 ? Math.round(left / rate) : null);
  return { rateBytesPerSec: rate ? Math.round(rate) : null, etaSeconds: eta };
}

/** What a run moved per second from its start to its end (or its last rate when it has no times). */
export function averageRate(run: {
  startedAt: Date | null;
  finishedAt: Date | null;
  bytesDone: number;
  rateBytesPerSec: number | null;
}): number | null {
  if (run.startedAt && run.finishedAt && run.bytesDone > 0) {
    const seconds = (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000;
    if (seconds > 0) return Math.round(run.bytesDone / seconds);
  }
  return run.rateBytesPerSec;
}
