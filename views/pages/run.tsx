import { formatTime } from "../format.ts";
import { Fragment, h, raw, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TableHead } from "../partials/forms.tsx";
import { RunProgress, type RunProgressModel } from "../partials/run-progress.tsx";

export interface RunModel extends RunProgressModel {
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  warnings: number;
  triggeredBy: string;
}

export interface LogLine {
  id: number;
  at: Date;
  level: string;
  message: string;
  path: string | null;
}

/** The controls that make sense in the run's state: pause or resume while active, retry once it failed. */
function RunControls(props: { run: RunModel & { kind: string } }): SafeHtml {
  const { run } = props;
  const verbs = run.finishedAt
    ? ["failed", "interrupted", "cancelled"].includes(run.state) &&
      (run.kind === "backup" || run.kind === "verify")
      ? ["retry"]
      : []
    : [run.state === "paused" ? "resume" : "pause", "cancel"];
  if (verbs.length === 0) return raw("");
  return (
    <div class="actions">
      {verbs.map((verb) => (
        <form class="inline" hx-post={`/runs/${run.id}/${verb}`} hx-target="#run-action-result">
          <button type="submit">{verb}</button>
        </form>
      ))}
    </div>
  );
}

/** The live part of a run page: re-fetched every 2 s until the run ends. */
export function RunLive(run: RunModel & { kind: string }, canOperate = false): SafeHtml {
  const live = !run.finishedAt;
  return (
    <section
      class="card"
      id="run-live"
      {...(live
        ? { "hx-get": `/runs/${run.id}/live`, "hx-trigger": "every 2s", "hx-swap": "outerHTML" }
        : {})}
    >
      {RunProgress(run)}
      <p class="muted">
        Queued {formatTime(run.queuedAt)} by {run.triggeredBy} · started {formatTime(run.startedAt)} ·
        finished {formatTime(run.finishedAt)} · {run.warnings} warnings
      </p>
      {run.error ? (
        <div class="alert error" role="alert">
          {run.error}
        </div>
      ) : null}
      {canOperate ? <RunControls run={run} /> : null}
    </section>
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
      {props.lines.map((l) => (
        <tr class={`log-${l.level}`}>
          <td>{formatTime(l.at)}</td>
          <td>{l.level}</td>
          <td>{l.message}</td>
          <td>{l.path ?? ""}</td>
        </tr>
      ))}
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
  run: RunModel & { kind: string };
  lines: LogLine[];
  canOperate: boolean;
}): SafeHtml {
  const { run } = model;
  return (
    <Layout {...model.layout} title={`Run ${run.id}`} current="/jobs">
      <h1>
        Run {run.id}: {run.jobName}
      </h1>
      {RunLive(run, model.canOperate)}
      <div id="run-action-result" aria-live="polite"></div>
      <section class="card">
        <h2>Log</h2>
        <table>
          <TableHead columns={["Time", "Level", "Message", "Path"]} />
          <tbody>{LogTail({ runId: run.id, lines: model.lines, after: 0, live: !run.finishedAt })}</tbody>
        </table>
      </section>
    </Layout>
  );
}
