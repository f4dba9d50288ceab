import { h, type SafeHtml } from "../html.ts";
import { Field, Select } from "./forms.tsx";
import { type GuestChoice, JobGuestFields } from "./guest-selection-fields.tsx";
import { ScheduleField } from "./schedule-preview.tsx";

/** A job as its pages show it. */
export interface JobRow {
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
  afterBackups: boolean;
  retries: number;
  retryDelayMinutes: number;
  fullSchedule?: string | null;
  /** A job over a Proxmox source: its own choice of guests; null: the source's. */
  guests?: GuestChoice | null;
}

/** What a job form offers to choose from. */
export interface JobChoices {
  sources: {
    id: number;
    name: string;
    kind: string;
    agentId: string | null;
    paths: string[];
    exclude: string[];
  }[];
  pools: { id: number; name: string }[];
  keys: { id: number; name: string }[];
}

/** The settings of a job, the same for a new job and an edit; `job` fills in what it has now. */
export function JobSettings(props: JobChoices & { job?: JobRow }): SafeHtml {
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
      {job?.kind === "verify" ||
      job?.kind === "catalog" ||
      !props.sources.some((s) => s.kind === "proxmox") ? null : (
        <JobGuestFields id={job ? String(job.id) : "new"} choice={job?.guests ?? null} />
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
          <Field
            label='Full backup schedule for an incremental job (e.g. "0 22 * * 0": the Sunday run is a full)'
            name="fullSchedule"
            value={job?.fullSchedule ?? undefined}
          />
        </div>
      )}
      <ScheduleField id={job ? String(job.id) : "new"} value={job?.schedule ?? undefined} />
      {job && job.kind !== "catalog" ? null : (
        <label class="check">
          <input type="hidden" name="afterBackupsOffered" value="1" />
          <input type="checkbox" name="afterBackups" value="on" checked={job?.afterBackups ?? false} />{" "}
          Catalog jobs: also run after every backup job (besides the schedule), so the catalog on tape always
          knows the newest sets
        </label>
      )}
    </div>
  );
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
