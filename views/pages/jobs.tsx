import type { Preflight } from "../../functions/services/preflight/plan-preflight.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, TableHead } from "../partials/forms.tsx";
import { guestChoiceWords } from "../partials/guest-selection-fields.tsx";
import { backupTypeWords, type JobChoices, type JobRow, JobSettings } from "../partials/job-settings.tsx";
import { SiteFilter } from "../partials/site-filter.tsx";
import { Time } from "../partials/time.tsx";

export interface JobsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  jobs: JobRow[];
  sources: JobChoices["sources"];
  pools: JobChoices["pools"];
  keys: JobChoices["keys"];
  /** The zone the schedules run in (the hub setting, else UTC), said beside each one. */
  scheduleZone: string;
  /** The sites the viewer may filter by, and the one shown (null: every site). */
  sites?: { id: number; name: string }[];
  site?: number | null;
}

/** The jobs list: what runs, from where to which pool, when next; "run now" for operators. */
export function JobsPage(model: Omit<JobsModel, "keys">): SafeHtml {
  const source = new Map(model.sources.map((s) => [s.id, s.name]));
  const pool = new Map(model.pools.map((p) => [p.id, p.name]));
  return (
    <Layout {...model.layout} title="Jobs" current="/jobs">
      <h1>Jobs</h1>
      <SiteFilter action="/jobs" sites={model.sites ?? []} current={model.site ?? null} />
      {model.canOperate ? (
        <p class="actions">
          <a class="button" href="/jobs/new">
            New job
          </a>
        </p>
      ) : null}
      <section class="card">
        <table>
          <TableHead
            columns={["Job", "Source → pool", "Type", "Schedule", "Next run", model.canOperate && "Actions"]}
          />
          <tbody>
            {model.jobs.map((j) => (
              <tr>
                <td>
                  <a href={`/jobs/${j.id}`}>{j.name}</a>
                  {j.enabled ? null : <span class="badge"> disabled</span>}
                </td>
                <td>
                  {j.kind === "verify"
                    ? `verify sets of ${pool.get(j.poolId ?? 0) ?? "–"}`
                    : j.kind === "catalog"
                      ? `the hub catalog → ${pool.get(j.poolId ?? 0) ?? "–"}`
                      : `${source.get(j.sourceId ?? 0) ?? "–"} → ${pool.get(j.poolId ?? 0) ?? "–"}`}
                </td>
                <td>
                  {j.kind === "verify"
                    ? "verify"
                    : j.kind === "catalog"
                      ? "catalog"
                      : `${j.backupType}, ${j.compression}`}
                  {j.kind === "backup" && j.encryption !== "none" ? ", encrypted" : ""}
                </td>
                <td>{j.schedule ? `${j.schedule} (${model.scheduleZone})` : "manual"}</td>
                <td>
                  <Time at={j.nextRunAt} />
                </td>
                {model.canOperate ? (
                  <td>
                    <form class="inline" hx-post={`/jobs/${j.id}/run`} hx-target={`#job-${j.id}-result`}>
                      <button type="submit">Run now</button>
                      <span id={`job-${j.id}-result`}></span>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {model.jobs.length === 0 ? (
          <p class="muted">
            No job yet.{" "}
            {model.sources.length === 0 ? (
              <>
                A job backs up a source: add one on <a href="/sources">Sources</a> first.
              </>
            ) : null}
          </p>
        ) : null}
      </section>
    </Layout>
  );
}

export interface JobModel extends JobChoices {
  layout: Omit<LayoutModel, "title" | "current">;
  scheduleZone: string;
  /** Which tape the next run would use and why (null for a verify job). */
  preflight?: Preflight | null;
  canOperate: boolean;
  job: JobRow;
  source: string;
  pool: string;
  /** The site the job is at: its source's agent's (it changes with the source); null: no site. */
  site?: string | null;
  runs: {
    id: number;
    kind: string;
    state: string;
    backupType: string | null;
    queuedAt: Date;
    finishedAt: Date | null;
    bytesDone: number;
    filesDone: number;
    triggeredBy: string;
  }[];
}

/** The pre-flight of the next run: the tape it would use, why, and what is missing. */
function NextTape(props: { preflight: Preflight }): SafeHtml {
  const p = props.preflight;
  const first = p.tapes.find((t) => t.ready) ?? p.tapes[0];
  return (
    <div class="stack" id="next-tape">
      <p>
        Next run
        {p.runAt ? (
          <span>
            {" "}
            (<Time at={p.runAt} />)
          </span>
        ) : (
          ""
        )}
        : a {p.backupType} into {p.mediaSet}
        {first
          ? `; it would write ${first.barcode} (${first.use}, ${first.where})`
          : "; no tape of the pool can take it"}
        .
      </p>
      {p.problem ? <p class="alert warning">{p.problem}</p> : null}
    </div>
  );
}

/** One job: its settings, "run now", and its run history. */
export function JobPage(model: JobModel): SafeHtml {
  const { job } = model;
  return (
    <Layout {...model.layout} title={job.name} current="/jobs">
      <h1>{job.name}</h1>
      <p>
        <a href="/jobs">← All jobs</a>
      </p>
      <section class="card">
        <p id="job-site">
          Site: <strong>{model.site ?? "no site"}</strong> (its source's; it changes with the source)
        </p>
        <p>
          {job.kind === "verify"
            ? `verifies the sets of pool ${model.pool}, least recently verified first`
            : job.kind === "catalog"
              ? `backs up the hub's catalog to pool ${model.pool}${job.afterBackups ? ", also after every backup job" : ""} · ${job.compression}`
              : `${model.source} → pool ${model.pool} · ${job.backupType}, ${job.compression}${job.encryption === "none" ? "" : ", encrypted"}${job.allowEmpty ? ", empty source allowed" : ""}${job.guests ? ` · guests: ${guestChoiceWords(job.guests)}` : ""} · ${job.retries === 0 ? "no automatic retry" : `scheduled runs retried up to ${job.retries}× after ${job.retryDelayMinutes} min`}`}{" "}
          ·{" "}
          {job.schedule ? (
            <>
              schedule {job.schedule} in {model.scheduleZone}, next <Time at={job.nextRunAt} />
            </>
          ) : (
            "manual"
          )}
        </p>
        {job.kind === "verify" ? null : <p>{backupTypeWords(job.backupType)}</p>}
        {model.preflight ? <NextTape preflight={model.preflight} /> : null}
        {model.canOperate ? (
          <form class="inline" hx-post={`/jobs/${job.id}/run`} hx-target="#job-run-result">
            <button type="submit">Run now</button>
            <span id="job-run-result"></span>
          </form>
        ) : null}
      </section>
      {model.canOperate ? (
        <section class="card">
          <details>
            <summary>Edit this job</summary>
            <HxForm action={`/jobs/${job.id}`} id="edit-job" submit="Save job">
              <Field label="Name" name="name" required value={job.name} />
              <JobSettings {...model} job={job} />
              <label class="check">
                <input type="checkbox" name="enabled" value="on" checked={job.enabled} /> Enabled (runs on its
                schedule and on "Run now")
              </label>
            </HxForm>
          </details>
        </section>
      ) : null}
      <section class="card">
        <h2>Run history</h2>
        <table>
          <TableHead columns={["Run", "Queued", "Finished", "Kind", "Result", "Files", "By"]} />
          <tbody>
            {model.runs.map((r) => (
              <tr>
                <td>
                  <a href={`/runs/${r.id}`}>#{r.id}</a>
                </td>
                <td>
                  <Time at={r.queuedAt} />
                </td>
                <td>
                  <Time at={r.finishedAt} />
                </td>
                <td>
                  <span class="badge kind">{r.kind}</span> {r.backupType ?? ""}
                </td>
                <td>
                  <span class={`badge state-${r.state}`}>{r.state}</span>
                </td>
                <td>{r.filesDone}</td>
                <td>{r.triggeredBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {model.runs.length === 0 ? <p class="muted">This job has not run yet.</p> : null}
      </section>
    </Layout>
  );
}
