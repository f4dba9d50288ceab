import { formatBytes } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TapeCapacityBar } from "../partials/capacity-bar.tsx";
import { TableHead } from "../partials/forms.tsx";
import { HelpLink } from "../partials/help-link.tsx";
import { Time } from "../partials/time.tsx";

export interface TapeModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  tape: {
    id: number;
    barcode: string;
    label: string | null;
    uuid: string | null;
    state: string;
    poolId: number | null;
    usedBytes: number;
    capacityBytes: number | null;
    /** The capacity is the LTO generation's published figure, not the cartridge's own. */
    capacityNominal?: boolean;
    fileCount: number;
    location: string | null;
    labelledAt: Date | null;
    lastWrittenAt: Date | null;
  };
  pools: { id: number; name: string }[];
  /** Restores and verifies waiting for this tape, with their words. */
  waiting: { id: number; kind: string; message: string | null }[];
  sets: {
    setId: number;
    sequence: number;
    fileNumber: number;
    bytes: number;
    state: string;
    startedAt: Date;
    keyFingerprint: string | null;
  }[];
  where: string;
  /** The drive holding the tape, as its agent last reported. */
  drive: { name: string; state: string } | null;
  mediaSet: { id: number; state: string; expiresAt: Date | null } | null;
  /** The site where the cartridge is, its moves between sites, and the sites it may go to. */
  site: { id: number; name: string } | null;
  moves: {
    movedAt: Date;
    from: string | null;
    to: string | null;
    actor: string;
    mediaSetId: number | null;
    note: string | null;
  }[];
  moveTo: { id: number; name: string }[];
  /** Whether it may be overwritten, and what keeps it, in words (the reuse check's answer). */
  reuse: string;
  health: {
    readings: {
      readAt: Date;
      drive: string | null;
      alerts: { code: number; name: string; severity: string }[];
      counters: {
        writeUncorrected: number;
        readUncorrected: number;
        writeCorrected: number;
        readCorrected: number;
      } | null;
    }[];
    retire: string | null;
  };
  erase: { warning: string; refusal: string | null };
  /** The states it may be given by hand, in words (services/tapes/tape-transition.ts). */
  stateChoices: { state: string; words: string }[];
}

/** Health readings taken while the tape was loaded; a rising count of uncorrected errors says retire it. */
function TapeHealth(model: TapeModel): SafeHtml {
  const { readings, retire } = model.health;
  return (
    <section class="card" id="tape-health">
      <h2>Health</h2>
      {retire ? <p class="bad">Recommended for retirement: {retire}.</p> : null}
      {readings.length === 0 ? (
        <p class="muted">No drive has reported errors or TapeAlert flags while this tape was loaded.</p>
      ) : (
        <table>
          <TableHead
            columns={[
              "Read",
              "Drive",
              "TapeAlert",
              "Write errors (corr./uncorr.)",
              "Read errors (corr./uncorr.)",
            ]}
          />
          <tbody>
            {readings.map((r) => (
              <tr>
                <td>
                  <Time at={r.readAt} />
                </td>
                <td>{r.drive ?? "–"}</td>
                <td>{r.alerts.map((a) => `${a.code} ${a.name}`).join(", ") || "none"}</td>
                <td>{r.counters ? `${r.counters.writeCorrected} / ${r.counters.writeUncorrected}` : "–"}</td>
                <td>{r.counters ? `${r.counters.readCorrected} / ${r.counters.readUncorrected}` : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Erase: refused (with the reason) while the tape holds retained sets; else typed confirmation. */
function Erase(model: TapeModel): SafeHtml {
  const { tape, erase } = model;
  return (
    <section class="card" id="erase">
      <h2>Erase</h2>
      <p class="muted">{erase.warning}</p>
      {erase.refusal ? (
        <p>Erase is not possible: {erase.refusal}.</p>
      ) : (
        <form
          class="stack"
          hx-post={`/tapes/${tape.id}/erase`}
          hx-target="#tape-erase-result"
          hx-confirm={`Erase ${tape.barcode}? ${erase.warning} This cannot be undone.`}
        >
          <label>
            Type the barcode {tape.barcode} to confirm
            <input name="confirm" autocomplete="off" required />
          </label>
          <label class="check">
            <input type="checkbox" name="long" value="on" /> Long erase (the whole tape; hours on a real
            drive)
          </label>
          <button type="submit" class="danger">
            Erase {tape.barcode}
          </button>
          <div id="tape-erase-result" aria-live="polite"></div>
        </form>
      )}
    </section>
  );
}

/** What relabelling this tape loses, in words, for the confirmation. */
function relabelLoss(model: TapeModel): string {
  const sets = model.sets.length;
  if (sets === 0 && model.tape.usedBytes === 0) return "The catalog knows no backup on it.";
  return `Its ${sets} backup set${sets === 1 ? "" : "s"} (${formatBytes(model.tape.usedBytes)}) can no longer be restored from it.`;
}

/**
 * Retiring: its own button and a question naming what it means, since it stops the pool writing
 * to the tape (the sets on it stay restorable, and "returned" on the Change form undoes it).
 */
function Retire(model: TapeModel): SafeHtml | null {
  const { tape } = model;
  if (tape.state === "retired" || !model.stateChoices.some((c) => c.state === "retired")) return null;
  const sets = model.sets.length;
  const kept =
    sets === 0 ? "" : ` Its ${sets} backup ${sets === 1 ? "set stays" : "sets stay"} restorable from it.`;
  return (
    <section class="card" id="tape-retire">
      <h2>Retire</h2>
      <form
        class="stack"
        hx-post={`/tapes/${tape.id}`}
        hx-target="#tape-retire-result"
        hx-confirm={`Retire ${tape.barcode}? No backup is written to it again.${kept} "Returned" on this page brings it back.`}
      >
        <input type="hidden" name="state" value="retired" />
        <input type="hidden" name="location" value={tape.location ?? ""} />
        <button type="submit">Retire {tape.barcode}</button>
        <div id="tape-retire-result" aria-live="polite"></div>
      </form>
      <p class="muted">For a tape that is worn out or damaged: the pool never writes to it again.</p>
    </section>
  );
}

/** Writing a new label: for a tape with data, only with "force" and a confirmation that names the loss. */
function Relabel(model: TapeModel): SafeHtml {
  const { tape } = model;
  const hasData = tape.usedBytes > 0 || model.sets.length > 0;
  return (
    <section class="card" id="relabel">
      <h2>{tape.label ? "Relabel" : "Label"}</h2>
      <form
        class="stack"
        hx-post={`/tapes/${tape.id}/label`}
        hx-target="#tape-label-result"
        hx-confirm={`${tape.label ? "Relabel" : "Label"} ${tape.barcode}? ${relabelLoss(model)} This cannot be undone.`}
      >
        <label>
          Pool
          <select name="poolId">
            {model.pools.map((p) => (
              <option value={String(p.id)} selected={p.id === tape.poolId}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        {hasData ? (
          <label class="check">
            <input type="checkbox" name="force" value="on" /> Overwrite the backups on it
          </label>
        ) : null}
        <button type="submit" class={hasData ? "danger" : undefined}>
          {tape.label ? `Relabel ${tape.barcode}` : `Label ${tape.barcode}`}
        </button>
        <div id="tape-label-result" aria-live="polite"></div>
      </form>
      <p class="muted">{relabelLoss(model)}</p>
    </section>
  );
}

/** The tape's journeys between sites, and (to an operator) carrying it to another one. */
function TapeMoves(model: TapeModel): SafeHtml | null {
  if (model.moves.length === 0 && (!model.canOperate || model.moveTo.length === 0)) return null;
  return (
    <section class="card" id="tape-moves">
      <h2>Sites</h2>
      {model.moves.length === 0 ? (
        <p class="muted">It has not moved between sites.</p>
      ) : (
        <table>
          <TableHead columns={["When", "From", "To", "By", "Note"]} />
          <tbody>
            {model.moves.map((m) => (
              <tr>
                <td>
                  <Time at={m.movedAt} />
                </td>
                <td>{m.from ?? "no site"}</td>
                <td>{m.to ?? "–"}</td>
                <td>{m.actor}</td>
                <td>
                  {m.mediaSetId ? `with media set #${m.mediaSetId}` : ""}
                  {m.note ? ` ${m.note}` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {model.canOperate && model.moveTo.length > 0 ? (
        <form class="stack" hx-post={`/tapes/${model.tape.id}/move`} hx-target="#tape-move-result">
          <label>
            Carried to
            <select name="toSiteId">
              {model.moveTo.map((s) => (
                <option value={String(s.id)}>{s.name}</option>
              ))}
            </select>
          </label>
          <label>
            Where there (shelf, library mail slot)
            <input name="location" />
          </label>
          <label>
            Note
            <input name="note" />
          </label>
          <button type="submit">Record the move</button>
          <div id="tape-move-result" aria-live="polite"></div>
        </form>
      ) : null}
    </section>
  );
}

/** One cartridge: identity, where it is, the sets on it, and what an operator may change. */
export function TapePage(model: TapeModel): SafeHtml {
  const { tape } = model;
  const pool = model.pools.find((p) => p.id === tape.poolId)?.name ?? "–";
  return (
    <Layout {...model.layout} title={tape.barcode} current="/tapes">
      <h1>Tape {tape.barcode}</h1>
      <section class="card">
        <table>
          <tbody>
            <tr>
              <th>Label</th>
              <td>{tape.label ?? "not labelled"}</td>
            </tr>
            <tr>
              <th>UUID</th>
              <td>{tape.uuid ?? "–"}</td>
            </tr>
            <tr>
              <th>Pool</th>
              <td>{pool}</td>
            </tr>
            <tr>
              <th>State</th>
              <td>
                <span class={`badge state-${tape.state}`}>{tape.state}</span>
              </td>
            </tr>
            <tr>
              <th>Site</th>
              <td id="tape-site">{model.site?.name ?? "no site"}</td>
            </tr>
            <tr>
              <th>Where</th>
              <td>{model.where}</td>
            </tr>
            <tr>
              <th>Used</th>
              <td>
                {TapeCapacityBar(tape)}
                <span class="muted">in {tape.fileCount} tape files</span>
              </td>
            </tr>
            <tr>
              <th>Media set</th>
              <td>
                {model.mediaSet ? (
                  <span>
                    #{String(model.mediaSet.id)}, {model.mediaSet.state}
                    {model.mediaSet.expiresAt ? (
                      <span>
                        , retained until <Time at={model.mediaSet.expiresAt} />
                      </span>
                    ) : (
                      ""
                    )}
                  </span>
                ) : (
                  "none"
                )}
              </td>
            </tr>
            <tr>
              <th>Reuse</th>
              <td>{model.reuse}</td>
            </tr>
            <tr>
              <th>Labelled</th>
              <td>
                <Time at={tape.labelledAt} />
              </td>
            </tr>
            <tr>
              <th>Last written</th>
              <td>
                <Time at={tape.lastWrittenAt} />
              </td>
            </tr>
          </tbody>
        </table>
      </section>
      {model.waiting.length > 0 ? (
        <section class="card">
          <h2>Runs waiting for this tape</h2>
          <ul>
            {model.waiting.map((r) => (
              <li>
                <a href={`/runs/${r.id}`}>
                  {r.kind} run #{String(r.id)}
                </a>
                : {r.message ?? "waiting"}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {model.canOperate && model.drive ? (
        <section class="card">
          <h2>In {model.drive.name}</h2>
          <form
            class="inline"
            hx-post={`/tapes/${tape.id}/eject`}
            hx-target="#tape-eject-result"
            hx-confirm={`Rewind and eject ${tape.barcode} from ${model.drive.name}?`}
          >
            <button type="submit">Eject</button>
          </form>
          <div id="tape-eject-result" aria-live="polite"></div>
          <p class="muted">
            Rewinds the tape and unloads it; in a changer it goes back to its slot. Refused while the drive
            runs a backup or restore.
          </p>
        </section>
      ) : null}
      <TapeMoves {...model} />
      {model.canOperate ? <Relabel {...model} /> : null}
      <TapeHealth {...model} />
      {model.canOperate ? <Erase {...model} /> : null}
      {model.canOperate ? <Retire {...model} /> : null}
      {model.canOperate ? (
        <section class="card">
          <h2>Change</h2>
          <form class="stack" hx-post={`/tapes/${tape.id}`} hx-target="#tape-change-result">
            <p id="tape-change-site">
              Site: <strong>{model.site?.name ?? "no site"}</strong>. A tape changes site only by a recorded
              move:{" "}
              {model.moveTo.length > 0 ? <a href="#tape-moves">record a move</a> : "there is no other site"}.
            </p>
            <label>
              Pool
              <select name="poolId">
                {model.pools.map((p) => (
                  <option value={String(p.id)} selected={p.id === tape.poolId}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              State
              <select name="state">
                {/* Retiring has its own button above, which asks first. */}
                {model.stateChoices
                  .filter((c) => c.state !== "retired" || tape.state === "retired")
                  .map((c) => (
                    <option value={c.state} selected={c.state === tape.state}>
                      {c.words}
                    </option>
                  ))}
              </select>
            </label>
            <label>
              Location (shelf, vault, courier)
              <input name="location" value={tape.location ?? ""} />
            </label>
            <button type="submit">Save</button>
            <div id="tape-change-result" aria-live="polite"></div>
          </form>
        </section>
      ) : null}
      <section class="card">
        <h2>Backup sets on this tape</h2>
        <p>
          <a href={`/tapes/${model.tape.id}/passport`}>Print this tape's passport</a> (what is on it and how
          to read it without TapeBackarr: <HelpLink topic="tapeFormat">the tape format</HelpLink>)
        </p>
        <table>
          <TableHead columns={["Set", "Started", "Segment", "Tape file", "Bytes", "State", "Key"]} />
          <tbody>
            {model.sets.map((s) => (
              <tr>
                <td>
                  <a href={`/restore/sets/${s.setId}`}>#{s.setId}</a>
                </td>
                <td>
                  <Time at={s.startedAt} />
                </td>
                <td>{s.sequence}</td>
                <td>{s.fileNumber}</td>
                <td>{formatBytes(s.bytes)}</td>
                <td>{s.state}</td>
                <td>
                  <code class="wrap">{s.keyFingerprint ?? "–"}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {model.sets.length === 0 ? <p class="muted">No backup set on this tape.</p> : null}
      </section>
    </Layout>
  );
}
