import { formatTime } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { PrintLayout } from "../layouts/print.tsx";

export interface PassportModel {
  title: string;
  copyTape: string;
  label: string;
  tapes: {
    barcode: string;
    label: string | null;
    uuid: string | null;
    pool: string | null;
    mediaSetId: number | null;
    state: string;
    labelledAt: Date | null;
    lastWrittenAt: Date | null;
    sets: {
      number: number;
      fileNumber: number;
      tocFile: number;
      sequence: number;
      uuid: string;
      job: string | null;
      backupType: string;
      startedAt: Date;
      finishedAt: Date | null;
      compression: string;
      encryption: string;
      fingerprint: string | null;
      fileCount: number;
      commands: { title: string; sh: string }[];
    }[];
  }[];
}

/** One printed page per cartridge: what is on it and how to read it with no TapeBackarr at all. */
export function PassportPage(model: PassportModel): SafeHtml {
  return (
    <PrintLayout title={model.title}>
      {model.tapes.map((t) => (
        <section class="sheet passport" data-barcode={t.barcode}>
          <h1>Tape passport: {t.barcode}</h1>
          <table>
            <tbody>
              <tr>
                <th>Label</th>
                <td>{t.label ?? "–"}</td>
                <th>Pool</th>
                <td>{t.pool ?? "–"}</td>
              </tr>
              <tr>
                <th>UUID</th>
                <td>{t.uuid ?? "–"}</td>
                <th>State</th>
                <td>{t.state}</td>
              </tr>
              <tr>
                <th>Media set</th>
                <td>{t.mediaSetId === null ? "none" : `#${t.mediaSetId}`}</td>
                <th>Barcode</th>
                <td>{t.barcode}</td>
              </tr>
              <tr>
                <th>Labelled</th>
                <td>{formatTime(t.labelledAt)}</td>
                <th>Last written</th>
                <td>{formatTime(t.lastWrittenAt)}</td>
              </tr>
            </tbody>
          </table>
          <h2>Sets on this tape</h2>
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>Tape files</th>
                <th>Job, type</th>
                <th>Started – finished</th>
                <th>Files</th>
                <th>Key fingerprint</th>
              </tr>
            </thead>
            <tbody>
              {t.sets.map((s) => (
                <tr>
                  <td>{s.number}</td>
                  <td>
                    data {s.fileNumber}, TOC {s.tocFile}
                    {s.sequence > 0 ? ` (part ${s.sequence + 1})` : ""}
                  </td>
                  <td>
                    {s.job ?? "–"}, {s.backupType}, {s.compression}
                    <br />
                    <small>set {s.uuid}</small>
                  </td>
                  <td>
                    {formatTime(s.startedAt)} – {formatTime(s.finishedAt)}
                  </td>
                  <td>{s.fileCount}</td>
                  <td>
                    <code class="key">{s.fingerprint ?? "not encrypted"}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {t.sets.length === 0 ? <p class="muted">No set on this tape yet.</p> : null}
          <h2>Reading it without TapeBackarr</h2>
          <p>
            Copy the tape's files to a directory first (mt-st, dd); then every command below reads plain
            files. OUT is an empty directory; KEY the raw key file, unwrapped from the key sheet's line as
            docs/tape-format.md ("Keys") shows.
          </p>
          <pre class="command">{model.copyTape}</pre>
          <p>The label:</p>
          <pre class="command">{model.label}</pre>
          {t.sets.map((s) => (
            <div>
              {s.commands.map((c) => (
                <div>
                  <p>
                    Set {s.number}: {c.title}
                  </p>
                  <pre class="command">{c.sh}</pre>
                </div>
              ))}
            </div>
          ))}
        </section>
      ))}
    </PrintLayout>
  );
}
