import { formatBytes, formatTime } from "../format.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TableHead } from "../partials/forms.tsx";
import { HelpLink } from "../partials/help-link.tsx";
import { SetKey } from "../partials/set-key.tsx";
import { Time } from "../partials/time.tsx";

type Layoutless = Omit<LayoutModel, "title" | "current">;

export interface SetRow {
  id: number;
  jobName: string | null;
  backupType: string;
  state: string;
  startedAt: Date;
  fileCount: number;
  sourceBytes: number;
  encryption: string;
  encryptionKeyFingerprint?: string | null;
  verifiedAt: Date | null;
  verifyResult: string | null;
  catalogProblem: string | null;
}

/** Step 1: pick a set, or search the catalog by name. */
export function RestoreStart(model: {
  layout: Layoutless;
  sets: SetRow[];
  canOperate: boolean;
  query: string;
  hits: { setId: number; path: string; size: number; keyFingerprint: string | null }[];
  jobs: { id: number; name: string }[];
  /** Proxmox guests on tape, newest first: each leads to its source's guests page to restore it. */
  guests?: { vmid: number; type: string; name: string; at: Date; bytes: number; sourceId: number | null }[];
}): SafeHtml {
  return (
    <Layout {...model.layout} title="Restore" current="/restore">
      <h1>Restore</h1>
      <p class="muted">
        Without the hub, a tape and the key sheet are enough:{" "}
        <HelpLink topic="withoutHub">restoring with the drive-agent, without the hub</HelpLink>.
      </p>
      {model.guests && model.guests.length > 0 ? (
        <section class="card" id="guest-restores">
          <h2>Proxmox guests</h2>
          <table>
            <tbody>
              {model.guests.map((g) => (
                <tr>
                  <td>
                    {g.type === "qemu" ? "VM" : "container"} {String(g.vmid)}
                  </td>
                  <td>{g.name}</td>
                  <td>
                    <Time at={g.at} />
                  </td>
                  <td>{formatBytes(g.bytes)}</td>
                  <td>
                    {g.sourceId ? (
                      <a href={`/sources/${g.sourceId}/guests#guest-${g.type}-${g.vmid}`}>
                        Restore this guest
                      </a>
                    ) : (
                      "source gone: drive-agent restore --guest"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      <section class="card">
        <h2>Find a file</h2>
        <form class="filters" method="get" action="/restore">
          <label>
            Name starts with
            <input name="q" value={model.query} placeholder="report-2026" />
          </label>
          <button type="submit">Search</button>
        </form>
        {model.hits.length > 0 ? (
          <table>
            <tbody>
              {model.hits.map((hit) => (
                <tr>
                  <td>{hit.path}</td>
                  <td>{formatBytes(hit.size)}</td>
                  <td>
                    <a
                      href={`/restore/sets/${hit.setId}?dir=${encodeURIComponent(hit.path.split("/").slice(0, -1).join("/"))}`}
                    >
                      set {hit.setId}
                    </a>
                  </td>
                  <td>
                    <SetKey fingerprint={hit.keyFingerprint} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : model.query ? (
          <p class="muted">Nothing found.</p>
        ) : null}
      </section>
      <section class="card">
        <h2>Or a job's files as they were at a moment</h2>
        <form class="filters" method="get" action="/restore/as-of">
          <label>
            Job
            <select name="jobId" required>
              {model.jobs.map((j) => (
                <option value={String(j.id)}>{j.name}</option>
              ))}
            </select>
          </label>
          <label>
            As of
            <input type="datetime-local" name="at" required />
          </label>
          <button type="submit">Browse</button>
        </form>
        <p class="muted">
          The tree as the job's last complete backup before that moment saw it: its full and every incremental
          or differential up to it, merged.
        </p>
      </section>
      <section class="card">
        <h2>Or pick a backup set (the tree as of that set)</h2>
        <table>
          <TableHead columns={["Set", "Job", "Started", "Type", "State", "Files", "Size", "Verified"]} />
          <tbody>
            {model.sets.map((s) => (
              <tr>
                <td>
                  <a href={`/restore/sets/${s.id}`}>#{s.id}</a>
                </td>
                <td>{s.jobName ?? "–"}</td>
                <td>
                  <Time at={s.startedAt} />
                </td>
                <td>
                  {s.backupType}
                  {s.encryption === "none" ? "" : ", encrypted with key "}
                  {s.encryption === "none" ? null : (
                    <code class="wrap">{s.encryptionKeyFingerprint ?? "?"}</code>
                  )}
                </td>
                <td>
                  <span class={`badge state-${s.state === "complete" ? "completed" : "failed"}`}>
                    {s.state}
                  </span>
                  {s.catalogProblem ? (
                    <div>
                      <small>{s.catalogProblem}</small>{" "}
                      {model.canOperate ? (
                        <button
                          type="button"
                          hx-post={`/sets/${s.id}/rebuild-catalog`}
                          hx-confirm={`Read the tapes of set ${s.id} and rebuild its catalog from their TOCs?`}
                        >
                          Rebuild catalog
                        </button>
                      ) : null}
                    </div>
                  ) : null}
                </td>
                <td>{s.fileCount}</td>
                <td>{formatBytes(s.sourceBytes)}</td>
                <td>
                  {s.verifiedAt ? (
                    <span class={`badge state-${s.verifyResult === "passed" ? "completed" : "failed"}`}>
                      {s.verifyResult === "passed" ? "passed" : "damaged"} <Time at={s.verifiedAt} />
                    </span>
                  ) : (
                    "never"
                  )}
                  {s.verifiedAt && s.verifyResult !== "passed" ? <small> {s.verifyResult}</small> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

export interface TreeEntry {
  name: string;
  type: string;
  size: number;
  mtime: number;
  /** The set holding this version. */
  setId: number;
}

type ChainSet = { id: number; backupType: string; startedAt: Date; keyFingerprint: string | null };

/** "full #3 (…) + incremental #5 (…)": the sets a tree is merged from, oldest first. */
function chainWords(chain: readonly ChainSet[]): string {
  return chain.map((s) => `${s.backupType} #${s.id} (${formatTime(s.startedAt)})`).join(" + ");
}

/** Step 2: browse the set directory by directory and tick what to restore; the plan appears below. */
export function RestoreBrowse(model: {
  layout: Layoutless;
  setId: number;
  dir: string;
  chain: readonly ChainSet[];
  warnings: readonly string[];
  entries: TreeEntry[];
  nextAfter: string | null;
  canOperate: boolean;
}): SafeHtml {
  const parts = model.dir ? model.dir.split("/") : [];
  const pathOf = (name: string) => (model.dir ? `${model.dir}/${name}` : name);
  return (
    <Layout {...model.layout} title={`Set ${model.setId}`} current="/restore">
      <h1>Restore the tree as of set {model.setId}</h1>
      <p>
        {model.chain.length > 1
          ? `The tree as it was after set ${model.setId} ran, merged from ${chainWords(model.chain)}: later versions win, deleted files are gone.`
          : `Set ${model.setId} is a full backup: the tree as it was when it ran.`}
      </p>
      <ul class="set-keys">
        {model.chain.map((s) => (
          <li>
            Set {s.id} ({s.backupType}): <SetKey fingerprint={s.keyFingerprint} />
          </li>
        ))}
      </ul>
      {model.warnings.map((w) => (
        <div class="alert warn" role="status">
          {w}
        </div>
      ))}
      <nav class="crumbs" aria-label="Directory">
        <a href={`/restore/sets/${model.setId}`}>(root)</a>
        {parts.map((part, i) => (
          <span>
            {" / "}
            <a
              href={`/restore/sets/${model.setId}?dir=${encodeURIComponent(parts.slice(0, i + 1).join("/"))}`}
            >
              {part}
            </a>
          </span>
        ))}
      </nav>
      <form class="card" hx-post={`/restore/sets/${model.setId}/plan`} hx-target="#plan" hx-swap="innerHTML">
        <table>
          <TableHead columns={["", "Name", "Type", "Size", "From set"]} />
          <tbody>
            {model.entries.map((e) => (
              <tr>
                <td>
                  <input
                    type="checkbox"
                    name="paths"
                    value={pathOf(e.name)}
                    aria-label={`Select ${e.name}`}
                  />
                </td>
                <td>
                  {e.type === "dir" ? (
                    <a href={`/restore/sets/${model.setId}?dir=${encodeURIComponent(pathOf(e.name))}`}>
                      {e.name}/
                    </a>
                  ) : (
                    <span class="file-name">{e.name}</span>
                  )}
                </td>
                <td>{e.type}</td>
                <td>{e.type === "dir" ? "" : formatBytes(e.size)}</td>
                <td>#{e.setId}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {model.nextAfter ? (
          <a
            href={`/restore/sets/${model.setId}?dir=${encodeURIComponent(model.dir)}&after=${encodeURIComponent(model.nextAfter)}`}
          >
            More…
          </a>
        ) : null}
        <button type="submit">Plan the restore</button>
      </form>
      <div id="plan" aria-live="polite"></div>
    </Layout>
  );
}

export interface PlanModel {
  setId: number;
  paths: string[];
  files: number;
  bytes: number;
  /** The sets read, in order, and the files each gives. */
  sets: {
    id: number;
    backupType: string;
    startedAt: Date;
    keyFingerprint: string | null;
    files: number;
    bytes: number;
  }[];
  tapes: { setId: number; barcode: string; location: string; instruction: string; reading?: string }[];
  warnings: string[];
  encrypted: boolean;
  canOperate: boolean;
}

/** Step 3 and 4: the plan (tapes in order, what to do) and where to put the files. */
export function RestorePlan(model: PlanModel): SafeHtml {
  return (
    <section class="card">
      <h2>Plan</h2>
      <p>
        {model.files} files, {formatBytes(model.bytes)}
        {model.encrypted && model.sets.length === 1 ? (
          <>
            , <SetKey fingerprint={model.sets[0]?.keyFingerprint ?? null} /> (the hub holds the key)
          </>
        ) : model.encrypted ? (
          ", encrypted (the hub holds the keys)"
        ) : (
          ""
        )}
        {model.sets.length > 1 ? `, read from ${model.sets.length} sets in turn` : ""}
      </p>
      {model.sets.length > 1 ? (
        <ol class="sets">
          {model.sets.map((s) => (
            <li>
              {s.backupType} #{s.id} (<Time at={s.startedAt} />
              ): {s.files} files, {formatBytes(s.bytes)}, <SetKey fingerprint={s.keyFingerprint} />
            </li>
          ))}
        </ol>
      ) : null}
      <ol class="tapes">
        {model.tapes.map((t) => (
          <li>
            <strong>{t.barcode}</strong>
            {model.sets.length > 1 ? ` (set #${t.setId})` : ""} — {t.instruction}
            {t.reading ? <span class="tape-reading"> · {t.reading}</span> : null}
          </li>
        ))}
      </ol>
      {model.warnings.map((w) => (
        <div class="alert warn" role="status">
          {w}
        </div>
      ))}
      {model.canOperate ? (
        <form class="stack" hx-post={`/restore/sets/${model.setId}/start`} hx-target="#restore-result">
          {model.paths.map((p) => (
            <input type="hidden" name="paths" value={p} />
          ))}
          <label>
            Restore to (directory on the tape host)
            <input name="destination" required placeholder="/srv/restore" />
          </label>
          <label>
            When a file exists
            <select name="overwrite">
              <option value="skip" selected>
                keep it, skip the restored one
              </option>
              <option value="rename">keep both (restored one renamed)</option>
              <option value="overwrite">overwrite it</option>
            </select>
          </label>
          <button type="submit">Start restore</button>
          <div id="restore-result" aria-live="polite"></div>
        </form>
      ) : null}
    </section>
  );
}
