import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, TableHead } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

type Layoutless = Omit<LayoutModel, "title" | "current">;

export interface AuditLogModel {
  layout: Layoutless;
  filter: { action?: string | undefined; actor?: string | undefined };
  /** The same filters, as download links. */
  downloads: { csv: string; json: string };
  rows: {
    id: number;
    at: Date;
    actor: string;
    action: string;
    target: string | null;
    outcome: string;
    ip: string | null;
  }[];
  nextCursor: number | null;
}

export interface JobLogsModel {
  layout: Layoutless;
  filter: {
    jobId?: number | undefined;
    runId?: number | undefined;
    level?: string | undefined;
    q?: string | undefined;
  };
  jobs: { id: number; name: string }[];
  levels: readonly string[];
  rows: {
    id: number;
    at: Date;
    level: string;
    message: string;
    path: string | null;
    runId: number;
    /** backup, restore, verify…: a log line says which kind of run it came from. */
    runKind?: string;
    jobId: number;
    jobName: string;
  }[];
  nextCursor: number | null;
}

/** The link to the next (older) page: the same filter plus the cursor. */
function olderHref(base: string, filter: Record<string, unknown>, cursor: number): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filter))
    if (value !== undefined && value !== "") query.set(key, String(value));
  query.set("cursor", String(cursor));
  return `${base}?${query.toString()}`;
}

function LogTabs(props: { current: "jobs" | "audit" }): SafeHtml {
  return (
    <nav class="tabs" aria-label="Logs">
      <a href="/logs" aria-current={props.current === "jobs" ? "page" : undefined}>
        Job logs
      </a>
      <a href="/logs/audit" aria-current={props.current === "audit" ? "page" : undefined}>
        Audit log
      </a>
    </nav>
  );
}

const LEVEL_CLASS: Record<string, string> = {
  error: "state-failed",
  warn: "state-paused",
  info: "",
  debug: "",
};

/** What the agents reported while running: tar warnings, unreadable files, tapes changed. */
export function JobLogsPage(model: JobLogsModel): SafeHtml {
  const f = model.filter;
  return (
    <Layout {...model.layout} title="Job logs" current="/logs">
      <h1>Logs</h1>
      <LogTabs current="jobs" />
      <form class="filters" method="get" action="/logs">
        <label>
          Job
          <select name="jobId">
            <option value="">all jobs</option>
            {model.jobs.map((j) => (
              <option value={String(j.id)} selected={j.id === f.jobId}>
                {j.name}
              </option>
            ))}
          </select>
        </label>
        <Field label="Run" name="runId" type="number" value={f.runId ? String(f.runId) : ""} />
        <label>
          Level
          <select name="level">
            <option value="">any</option>
            {model.levels.map((l) => (
              <option value={l} selected={l === f.level}>
                {l} and worse
              </option>
            ))}
          </select>
        </label>
        <Field label="Text" name="q" value={f.q ?? ""} placeholder="Permission denied" />
        <button type="submit">Filter</button>
      </form>
      <section class="card">
        <div class="scroll-x">
          <table>
            <TableHead columns={["Time", "Level", "Job", "Run", "Message"]} />
            <tbody>
              {model.rows.map((r) => (
                <tr>
                  <td class="nowrap">
                    <Time at={r.at} />
                  </td>
                  <td>
                    <span class={`badge ${LEVEL_CLASS[r.level] ?? ""}`}>{r.level}</span>
                  </td>
                  <td>
                    <a href={`/jobs/${r.jobId}`}>{r.jobName}</a>
                  </td>
                  <td>
                    <a href={`/runs/${r.runId}`}>#{r.runId}</a>
                    {r.runKind ? <span class="badge kind">{r.runKind}</span> : null}
                  </td>
                  <td class="log-message">
                    <div class="msg">{r.message}</div>
                    {r.path ? <div class="run-path">{r.path}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {model.rows.length === 0 ? <p class="muted">No log line matches.</p> : null}
        {model.nextCursor ? <a href={olderHref("/logs", f, model.nextCursor)}>Older</a> : null}
      </section>
    </Layout>
  );
}

export function AuditLogPage(model: AuditLogModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Audit log" current="/logs">
      <h1>Logs</h1>
      <LogTabs current="audit" />
      <form class="filters" method="get" action="/logs/audit">
        <Field label="Action" name="action" value={model.filter.action ?? ""} placeholder="auth.login" />
        <Field label="User" name="actor" value={model.filter.actor ?? ""} />
        <button type="submit">Filter</button>
      </form>
      <p>
        Download these entries: <a href={model.downloads.csv}>CSV</a> ·{" "}
        <a href={model.downloads.json}>JSON</a>
      </p>
      <section class="card">
        <div class="scroll-x">
          <table>
            <TableHead columns={["Time", "User", "Action", "Target", "Outcome", "From"]} />
            <tbody>
              {model.rows.map((r) => (
                <tr>
                  <td class="nowrap">
                    <Time at={r.at} />
                  </td>
                  <td>{r.actor}</td>
                  <td>{r.action}</td>
                  <td>{r.target ?? ""}</td>
                  <td>
                    <span class={`badge state-${r.outcome === "success" ? "completed" : "failed"}`}>
                      {r.outcome}
                    </span>
                  </td>
                  <td>{r.ip ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {model.nextCursor ? (
          <a href={olderHref("/logs/audit", model.filter, model.nextCursor)}>Older</a>
        ) : null}
      </section>
    </Layout>
  );
}
