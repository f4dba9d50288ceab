import { formatTime } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, Select, TableHead } from "../partials/forms.tsx";
import { ScheduleField } from "../partials/schedule-preview.tsx";

export interface JobsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  jobs: {
    id: number;
    name: string;
    kind: "backup" | "verify" | "catalog";
    sourceId: number | null;
    poolId: number | null;
    backupType: string;
    compression: string;
    encryption: string;
    encryptionKeyId: number | null;
    schedule: string | null;
    nextRunAt: Date | null;
    enabled: boolean;
    allowEmpty: boolean;
    retries: number;
    retryDelayMinutes: number;
  }[];
  sources: {
    id: number;
    name: string;
    kind: string;
    agentId: string | null;
    paths: string[];
    exclude: string[];
  }[];
  pools: { id: number; name: string }[];
  agents: { id: string; name: string }[];
  keys: { id: number; name: string }[];
}

export function JobsPage(model: JobsModel): SafeHtml {
  const source = new Map(model.sources.map((s) => [s.id, s.name]));
  const pool = new Map(model.pools.map((p) => [p.id, p.name]));
  return (
    <Layout {...model.layout} title="Jobs" current="/jobs">
      <h1>Jobs</h1>
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
                <td>{j.schedule ?? "manual"}</td>
                <td>{formatTime(j.nextRunAt)}</td>
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
        {model.jobs.length === 0 ? <p class="muted">No job yet.</p> : null}
      </section>
      <div class="grid">
        <section class="card">
          <h2>Sources</h2>
          <table>
            <TableHead columns={["Source", "Kind", "Paths", "Excluded"]} />
            <tbody>
              {model.sources.map((src) => (
                <tr>
                  <td>
                    {src.name}
                    {model.canOperate ? (
                      <details>
                        <summary>Edit</summary>
                        <HxForm
                          action={`/sources/${src.id}`}
                          id={`edit-source-${src.id}`}
                          submit="Save source"
                        >
                          <SourceFields agents={model.agents} source={src} />
                        </HxForm>
                      </details>
                    ) : null}
                  </td>
                  <td>{src.kind}</td>
                  <td class="run-path">{src.paths.join(", ")}</td>
                  <td class="run-path">{src.exclude.join(", ") || "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {model.sources.length === 0 ? <p class="muted">No source yet.</p> : null}
        </section>
      </div>
      {model.canOperate ? (
        <div class="grid">
          <section class="card">
            <h2>New job</h2>
            <HxForm action="/jobs" id="new-job" submit="Create job">
              <Field label="Name" name="name" required />
              <Select
                label="Kind"
                name="kind"
                options={[
                  { value: "backup", label: "backup: write the source to the pool" },
                  { value: "verify", label: "verify: read back the pool's least recently verified set" },
                  {
                    value: "catalog",
                    label: "catalog: back up the hub's catalog to the pool (for restore-catalog)",
                  },
                ]}
              />
              <JobSettings {...model} />
            </HxForm>
          </section>
          <section class="card">
            <h2>New source</h2>
            <HxForm action="/sources" id="new-source" submit="Create source">
              <SourceFields agents={model.agents} />
            </HxForm>
          </section>
        </div>
      ) : null}
    </Layout>
  );
}

/** A source's fields, the same for a new source and an edit. */
function SourceFields(props: {
  agents: JobsModel["agents"];
  source?: JobsModel["sources"][number];
}): SafeHtml {
  const { source } = props;
  return (
    <div class="stack">
      <Field label="Name" name="name" required value={source?.name} />
      <Select
        label="Kind"
        name="kind"
        selected={source?.kind}
        options={["local", "nfs", "smb"].map((v) => ({ value: v, label: v }))}
      />
      <Select
        label="Agent (host that sees the paths)"
        name="agentId"
        selected={source?.agentId ?? undefined}
        options={props.agents.map((a) => ({ value: a.id, label: a.name }))}
      />
      <Field
        label="Paths (one per line or comma-separated)"
        name="paths"
        required
        placeholder="/srv/share"
        value={source?.paths.join(", ")}
      />
      <Field
        label="Exclude globs (comma-separated)"
        name="exclude"
        placeholder="*.tmp, cache/"
        value={source?.exclude.join(", ")}
      />
    </div>
  );
}

type JobChoices = Pick<JobsModel, "sources" | "pools" | "keys">;

/** The settings of a job, the same for a new job and an edit; `job` fills in what it has now. */
function JobSettings(props: JobChoices & { job?: JobsModel["jobs"][number] }): SafeHtml {
  const { job } = props;
  const id = (n: number | null | undefined) => (n ? String(n) : "");
  return (
    <div class="stack">
      {job?.kind === "verify" ? null : (
        <Select
          label="Source (backup jobs)"
          name="sourceId"
          selected={job ? id(job.sourceId) : undefined}
          options={[
            ...props.sources.map((s) => ({ value: String(s.id), label: s.name })),
            ...(job ? [] : [{ value: "", label: "none (verify jobs ignore it)" }]),
          ]}
        />
      )}
      <Select
        label="Pool"
        name="poolId"
        selected={job ? id(job.poolId) : undefined}
        options={props.pools.map((p) => ({ value: String(p.id), label: p.name }))}
      />
      {job?.kind === "verify" ? null : (
        <div class="stack">
          <Select
            label="Type"
            name="backupType"
            selected={job?.backupType}
            options={[
              { value: "full", label: "full" },
              { value: "incremental", label: "incremental" },
              { value: "differential", label: "differential" },
            ]}
          />
          <small class="muted">
            full: {backupTypeWords("full")} incremental: {backupTypeWords("incremental")} differential:{" "}
            {backupTypeWords("differential")}
          </small>
          <Select
            label="Compression"
            name="compression"
            selected={job?.compression ?? "zstd"}
            options={["zstd", "gzip", "none"].map((v) => ({ value: v, label: v }))}
          />
          <Select
            label="Encryption"
            name="encryptionKeyId"
            selected={job ? id(job.encryptionKeyId) : undefined}
            options={[
              { value: "", label: "none" },
              ...props.keys.map((k) => ({ value: String(k.id), label: `AES-256-GCM, key ${k.name}` })),
            ]}
          />
          <label class="check">
            <input type="checkbox" name="allowEmpty" value="on" checked={job?.allowEmpty ?? false} /> An empty
            source is fine (otherwise a run that finds no file to back up fails: an unmounted share)
          </label>
          <Field
            label="Automatic retries of a scheduled run that failed retryably or was interrupted"
            name="retries"
            type="number"
            value={String(job?.retries ?? 2)}
          />
          <Field
            label="Minutes before each retry"
            name="retryDelayMinutes"
            type="number"
            value={String(job?.retryDelayMinutes ?? 10)}
          />
        </div>
      )}
      <ScheduleField id={job ? String(job.id) : "new"} value={job?.schedule ?? undefined} />
    </div>
  );
}

export interface JobModel extends JobChoices {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  job: JobsModel["jobs"][number];
  source: string;
  pool: string;
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

/** What a run of each backup type will do, in the operator's words (job page and form). */
export function backupTypeWords(backupType: string): string {
  if (backupType === "incremental")
    return (
      "The first run is a full. After that each run backs up what is new, changed, renamed or moved in since the job's last complete set, " +
      "found by comparing every path with that set's file list (type, size, times, inode, link target), so old file times never hide a file; deletions are recorded. " +
      "A restore as of a run reads the full and every set after it up to that run."
    );
  if (backupType === "differential")
    return (
      "The first run is a full. After that each run backs up everything new, changed, renamed or moved in since the job's last complete full " +
      "(compared path by path with the full's file list), and records what was deleted since; " +
      "each run grows until the next full, and a restore as of a run reads the full and that one set."
    );
  return "Every run backs up the whole source.";
}

/** One job: its settings, "run now", and its run history. */
export function JobPage(model: JobModel): SafeHtml {
  const { job } = model;
  return (
    <Layout {...model.layout} title={job.name} current="/jobs">
      <h1>{job.name}</h1>
      <section class="card">
        <p>
          {job.kind === "verify"
            ? `verifies the sets of pool ${model.pool}, least recently verified first`
            : `${model.source} → pool ${model.pool} · ${job.backupType}, ${job.compression}${job.encryption === "none" ? "" : ", encrypted"}${job.allowEmpty ? ", empty source allowed" : ""} · ${job.retries === 0 ? "no automatic retry" : `scheduled runs retried up to ${job.retries}× after ${job.retryDelayMinutes} min`}`}{" "}
          · {job.schedule ? `schedule ${job.schedule}, next ${formatTime(job.nextRunAt)}` : "manual"}
        </p>
        {job.kind === "verify" ? null : <p>{backupTypeWords(job.backupType)}</p>}
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
                <td>{formatTime(r.queuedAt)}</td>
                <td>{formatTime(r.finishedAt)}</td>
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
