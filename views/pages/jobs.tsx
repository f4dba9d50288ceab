import { formatTime } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, Select, TableHead } from "../partials/forms.tsx";

export interface JobsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  jobs: {
    id: number;
    name: string;
    kind: "backup" | "verify";
    sourceId: number | null;
    poolId: number | null;
    backupType: string;
    compression: string;
    encryption: string;
    schedule: string | null;
    nextRunAt: Date | null;
    enabled: boolean;
  }[];
  sources: { id: number; name: string; paths: string[] }[];
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
                    : `${source.get(j.sourceId ?? 0) ?? "–"} → ${pool.get(j.poolId ?? 0) ?? "–"}`}
                </td>
                <td>
                  {j.kind === "verify" ? "verify" : `${j.backupType}, ${j.compression}`}
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
                ]}
              />
              <Select
                label="Source (backup jobs)"
                name="sourceId"
                options={[
                  ...model.sources.map((s) => ({ value: String(s.id), label: s.name })),
                  { value: "", label: "none (verify jobs ignore it)" },
                ]}
              />
              <Select
                label="Pool"
                name="poolId"
                options={model.pools.map((p) => ({ value: String(p.id), label: p.name }))}
              />
              <Select
                label="Type"
                name="backupType"
                options={[
                  { value: "full", label: "full" },
                  { value: "incremental", label: "incremental" },
                ]}
              />
              <Select
                label="Compression"
                name="compression"
                selected="zstd"
                options={["zstd", "gzip", "none"].map((v) => ({ value: v, label: v }))}
              />
              <Select
                label="Encryption"
                name="encryptionKeyId"
                options={[
                  { value: "", label: "none" },
                  ...model.keys.map((k) => ({ value: String(k.id), label: `AES-256-GCM, key ${k.name}` })),
                ]}
              />
              <Field label="Schedule (cron, empty = manual)" name="schedule" placeholder="0 2 * * *" />
            </HxForm>
          </section>
          <section class="card">
            <h2>New source</h2>
            <HxForm action="/sources" id="new-source" submit="Create source">
              <Field label="Name" name="name" required />
              <Select
                label="Kind"
                name="kind"
                options={["local", "nfs", "smb"].map((v) => ({ value: v, label: v }))}
              />
              <Select
                label="Agent (host that sees the paths)"
                name="agentId"
                options={model.agents.map((a) => ({ value: a.id, label: a.name }))}
              />
              <Field
                label="Paths (one per line or comma-separated)"
                name="paths"
                required
                placeholder="/srv/share"
              />
              <Field label="Exclude globs (comma-separated)" name="exclude" placeholder="*.tmp, cache/" />
            </HxForm>
          </section>
          <section class="card">
            <h2>New pool</h2>
            <HxForm action="/pools" id="new-pool" submit="Create pool">
              <Field label="Name" name="name" required />
              <Field label="Retention (days)" name="retentionDays" type="number" value="30" />
            </HxForm>
          </section>
        </div>
      ) : null}
    </Layout>
  );
}

export interface JobModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  job: JobsModel["jobs"][number];
  source: string;
  pool: string;
  runs: {
    id: number;
    state: string;
    backupType: string | null;
    queuedAt: Date;
    finishedAt: Date | null;
    bytesDone: number;
    filesDone: number;
    triggeredBy: string;
  }[];
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
            : `${model.source} → pool ${model.pool} · ${job.backupType}, ${job.compression}${job.encryption === "none" ? "" : ", encrypted"}`}{" "}
          · {job.schedule ? `schedule ${job.schedule}, next ${formatTime(job.nextRunAt)}` : "manual"}
        </p>
        {model.canOperate ? (
          <form class="inline" hx-post={`/jobs/${job.id}/run`} hx-target="#job-run-result">
            <button type="submit">Run now</button>
            <span id="job-run-result"></span>
          </form>
        ) : null}
      </section>
      <section class="card">
        <h2>Run history</h2>
        <table>
          <TableHead columns={["Run", "Queued", "Finished", "Type", "Result", "Files", "By"]} />
          <tbody>
            {model.runs.map((r) => (
              <tr>
                <td>
                  <a href={`/runs/${r.id}`}>#{r.id}</a>
                </td>
                <td>{formatTime(r.queuedAt)}</td>
                <td>{formatTime(r.finishedAt)}</td>
                <td>{r.backupType ?? "–"}</td>
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
