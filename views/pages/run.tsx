import type { StreamingHealth } from "../../contracts/agent-protocol.ts";
import type { StreamingVerdict } from "../../contracts/lto-speeds.ts";
import type { RunActions } from "../../functions/services/runs/run-actions.ts";
import type { Sample } from "../../functions/services/runs/throughput-samples.ts";
import { formatBytes, formatCount, formatDuration, formatRatio } from "../format.ts";
import { Fragment, h, raw, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TableHead } from "../partials/forms.tsx";
import { RateChart } from "../partials/rate-chart.tsx";
import { RunProgress, type RunProgressModel } from "../partials/run-progress.tsx";
import { SetKey } from "../partials/set-key.tsx";
import { StreamingHealthPanel } from "../partials/streaming-health.tsx";
import { Time } from "../partials/time.tsx";

export interface LogLine {
  id: number;
  at: Date;
  level: string;
  message: string;
  path: string | null;
}

export interface RunOutcome {
  durationSeconds: number | null;
  summary: string | null;
  set: {
    id: number;
    state: string;
    /** This run wrote the set (a backup); a restore or verify only read it. */
    written: boolean;
    sourceBytes: number;
    tapeBytes: number;
    fileCount: number;
    compression: string;
    ratio: number | null;
    /** The set's key (null: not encrypted), as on its TOC and the key sheet. */
    keyFingerprint: string | null;
  } | null;
  tapes: { id: number; barcode: string }[];
}

export interface RunModel extends RunProgressModel {
  /** The run's throughput history from its start (seconds since start, bytes done), kept by the hub. */
  samples?: Sample[];
  kind: string;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  warnings: number;
  triggeredBy: string;
  /** What the operator may ask next: decided by the runs service, shown here as it says. */
  actions: RunActions;
  outcome: RunOutcome | null;
  /** Every warning and error line, however long the log. */
  notable: LogLine[];
  /** Backups: the drive's streaming figures, and what the runs service makes of them. */
  streaming?: StreamingHealth | null;
  streamingVerdict?: StreamingVerdict | null;
}

const VERB_LABEL: Record<keyof RunActions, string> = {
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
  retry: "Retry",
};

function RunControls(props: { run: RunModel }): SafeHtml {
  const { run } = props;
  const verbs = (["pause", "resume", "cancel", "retry"] as const).filter((v) => run.actions[v]);
  if (verbs.length === 0) return raw("");
  return (
    <div class="actions">
      {verbs.map((verb) => (
        <form
          class="inline"
          hx-post={`/runs/${run.id}/${verb}`}
          hx-target="#run-action-result"
          hx-confirm={
            verb === "cancel"
              ? `Cancel run ${run.id} of ${run.jobName}? ${run.kind === "backup" ? "The set stays incomplete: what was written so far is kept but the backup is not finished." : "It stops where it is."}`
              : undefined
          }
        >
          <button type="submit">{VERB_LABEL[verb]}</button>
        </form>
      ))}
    </div>
  );
}

/** What a finished run did, and where the operator goes from here. */
function Outcome(props: { run: RunModel; outcome: RunOutcome; canOperate: boolean }): SafeHtml {
  const { run, outcome } = props;
  const set = outcome.set;
  const tapes = outcome.tapes.map((t, i) => (
    <>
      {i > 0 ? ", " : ""}
      <a href={`/tapes/${t.id}`}>{t.barcode}</a>
    </>
  ));
  const done = run.kind === "restore" ? "Restored" : run.kind === "verify" ? "Read back" : "Written";
  return (
    <div class="outcome">
      <h3>Summary</h3>
      <table>
        <tbody>
          <tr>
            <th>Duration</th>
            <td>{formatDuration(outcome.durationSeconds)}</td>
          </tr>
          <tr>
            <th>{done}</th>
            <td>
              {formatCount(run.filesDone, "file")}, {formatBytes(run.bytesDone)}
            </td>
          </tr>
          {set?.written ? (
            <tr>
              <th>On tape</th>
              <td>
                {formatBytes(set.tapeBytes)} ({set.compression}, ratio {formatRatio(set.ratio)})
              </td>
            </tr>
          ) : null}
          {set ? (
            <tr>
              <th>Set #{set.id}</th>
              <td>
                <SetKey fingerprint={set.keyFingerprint} />
              </td>
            </tr>
          ) : null}
          {outcome.tapes.length > 0 ? (
            <tr>
              <th>{set?.written ? "Tapes used" : "Tapes read"}</th>
              <td>{tapes}</td>
            </tr>
          ) : null}
          <tr>
            <th>Warnings</th>
            <td>{run.warnings}</td>
          </tr>
        </tbody>
      </table>
      {outcome.summary ? <p class="summary-line">{outcome.summary}</p> : null}
      {set ? (
        <div class="actions next-steps">
          <a class="button" href={`/restore/sets/${set.id}`}>
            Browse set #{set.id}
          </a>
          <a class="button" href={`/restore/sets/${set.id}`}>
            Restore from it
          </a>
          {props.canOperate && set.written ? (
            <form class="inline" hx-post={`/sets/${set.id}/verify`} hx-target="#run-action-result">
              <button type="submit">Verify set #{set.id}</button>
            </form>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

/**
 * The live part of a run's page until the run ends: the page wraps it in RunLiveStream, whose
 * server-sent events replace it (progress, then the outcome) without polling.
 */
export function RunLive(run: RunModel, canOperate = false): SafeHtml {
  const live = !run.finishedAt;
  return (
    <section class="card" id="run-live">
      {RunProgress(run)}
      {run.startedAt && (live || (run.samples ?? []).length > 2)
        ? RateChart({ samples: run.samples ?? [] })
        : null}
      <p class="muted">
        <span class="badge kind">{run.kind}</span> queued <Time at={run.queuedAt} /> by {run.triggeredBy} ·
        started <Time at={run.startedAt} /> · finished <Time at={run.finishedAt} /> · {run.warnings} warnings
      </p>
      {run.error ? (
        <div class="alert error" role="alert">
          {run.error}
        </div>
      ) : null}
      {StreamingHealthPanel({ health: run.streaming, verdict: run.streamingVerdict ?? null })}
      {run.outcome ? <Outcome run={run} outcome={run.outcome} canOperate={canOperate} /> : null}
      {canOperate ? <RunControls run={run} /> : null}
    </section>
  );
}

/**
 * Holds the SSE connection (htmx's SSE extension) whose messages replace its content, #run-live;
 * closed on `done`. The target is the holder itself: the extension resolves it once, at connect.
 */
export function RunLiveStream(props: { run: RunModel; canOperate: boolean }): SafeHtml {
  if (props.run.finishedAt) return RunLive(props.run, props.canOperate);
  return (
    <div
      id="run-live-stream"
      hx-sse:connect={`/runs/${props.run.id}/live/stream`}
      hx-sse:close="done"
      hx-swap="innerHTML"
    >
      {RunLive(props.run, props.canOperate)}
    </div>
  );
}

function LogRow(l: LogLine): SafeHtml {
  return (
    <tr class={`log-${l.level}`}>
      <td>
        <Time at={l.at} />
      </td>
      <td>{l.level}</td>
      <td>{l.message}</td>
      <td class="run-path">{l.path ?? ""}</td>
    </tr>
  );
}

/**
 * Log rows followed by a sentinel row that fetches the lines after the last one every 2 s and
 * replaces itself with them (and a new sentinel): the table only ever grows.
 */
export function LogTail(props: { runId: number; lines: LogLine[]; after: number; live: boolean }): SafeHtml {
  const after = props.lines.at(-1)?.id ?? props.after;
  return (
    <>
      {props.lines.map(LogRow)}
      {props.live ? (
        <tr
          class="log-more"
          hx-get={`/runs/${props.runId}/log?after=${after}`}
          hx-trigger="every 2s"
          hx-swap="outerHTML"
        ></tr>
      ) : null}
    </>
  );
}

export function RunPage(model: {
  layout: Omit<LayoutModel, "title" | "current">;
  run: RunModel;
  lines: LogLine[];
  canOperate: boolean;
}): SafeHtml {
  const { run } = model;
  return (
    <Layout {...model.layout} title={`Run ${run.id}`} current="/jobs">
      <h1>
        Run {run.id}: {run.kind} of {run.jobName}
      </h1>
      {RunLiveStream({ run, canOperate: model.canOperate })}
      <div id="run-action-result" aria-live="polite"></div>
      {run.notable.length > 0 ? (
        <section class="card" id="run-warnings">
          <h2>Warnings and errors ({run.notable.length})</h2>
          <table>
            <TableHead columns={["Time", "Level", "Message", "Path"]} />
            <tbody>{run.notable.map(LogRow)}</tbody>
          </table>
        </section>
      ) : null}
      <section class="card run-log">
        <h2>Log</h2>
        {/* Hidden by the stylesheet once a line is in the table (the tail appends them). */}
        <p class="muted log-empty">
          {run.finishedAt
            ? "This run logged nothing."
            : "No line yet: warnings, tape changes and the run's summary appear here as they happen."}
        </p>
        <table>
          <TableHead columns={["Time", "Level", "Message", "Path"]} />
          <tbody>{LogTail({ runId: run.id, lines: model.lines, after: 0, live: !run.finishedAt })}</tbody>
        </table>
      </section>
    </Layout>
  );
}
