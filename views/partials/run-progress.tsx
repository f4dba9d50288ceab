import { formatBytes, formatDuration, formatRate, percent } from "../format.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";

export interface RunProgressModel {
  finishedAt?: Date | null;
  id: number;
  jobName: string;
  state: string;
  bytesDone: number;
  bytesTotal: number | null;
  filesDone: number;
  filesTotal: number | null;
  /** The totals are the agent's estimate (a pre-walk, the job's last run), not yet counted. */
  totalsEstimated?: boolean;
  currentPath: string | null;
  rateBytesPerSec: number | null;
  etaSeconds: number | null;
  tapeBarcode: string | null;
  /** The drive the run is on, when the hub knows it. */
  driveName?: string | null;
  /** backup, restore, verify, scan or label: said wherever a run is listed. */
  kind?: string;
  operatorMessage: string | null;
}

/** One run's live progress: percent, rate, ETA, current file, and any words for the operator. */
export function RunProgress(run: RunProgressModel): SafeHtml {
  // A run that completed is done whatever its last report said.
  const pct = run.state.startsWith("completed") ? 100 : percent(run.bytesDone, run.bytesTotal);
  // An estimate says so: "≈", and the word for screen readers and the title.
  const about = run.totalsEstimated && !run.finishedAt ? "≈" : "";
  const estimate = about ? <abbr title="estimate: the totals are not counted yet">{about}</abbr> : "";
  return (
    <div class={`run run-${run.state}`} data-run-id={run.id}>
      <div class="run-head">
        <a href={`/runs/${run.id}`}>{run.jobName}</a>{" "}
        {run.kind ? <span class="badge kind">{run.kind}</span> : null}{" "}
        <span class={`badge state-${run.state}`}>{run.state}</span>
        {run.tapeBarcode ? <span class="muted"> on {run.tapeBarcode}</span> : null}
        {run.driveName ? <span class="muted"> in {run.driveName}</span> : null}
      </div>
      <progress max="100" value={pct ?? undefined} aria-label={`Run ${run.id} progress`}>
        {pct === null ? "" : `${pct}%`}
      </progress>
      <div class="run-figures muted">
        <span class="pct">
          {estimate}
          {pct === null ? "…" : `${pct}%`}
        </span>{" "}
        · {formatBytes(run.bytesDone)}
        {run.bytesTotal ? (
          <>
            {" of "}
            {estimate}
            {formatBytes(run.bytesTotal)}
          </>
        ) : (
          ""
        )}{" "}
        · {run.filesDone}
        {run.filesTotal && !run.state.startsWith("completed") ? (
          <>
            {" of "}
            {estimate}
            {run.filesTotal}
          </>
        ) : (
          ""
        )}{" "}
        {(run.filesTotal ?? run.filesDone) === 1 ? "file" : "files"}
        {run.finishedAt ? "" : " · "}
        {run.finishedAt ? null : run.state === "paused" ? (
          <strong class="paused">paused: no data moves until resumed</strong>
        ) : (
          <>
            {formatRate(run.rateBytesPerSec)} · ETA {estimate}
            {formatDuration(run.etaSeconds)}
            {about ? <span class="muted"> (estimate)</span> : ""}
          </>
        )}
      </div>
      {run.currentPath && !run.finishedAt ? <div class="run-path muted">{run.currentPath}</div> : null}
      {run.operatorMessage ? (
        <div class="alert warn" role="status">
          {run.operatorMessage}
        </div>
      ) : null}
    </div>
  );
}
