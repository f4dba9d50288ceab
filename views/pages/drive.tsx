import type { DriveHealthReport, StreamingHealth } from "../../contracts/agent-protocol.ts";
import type { StreamingVerdict } from "../../contracts/lto-speeds.ts";
import type { DriveActivity } from "../../functions/services/dashboard/drive-activity.ts";
import { formatBytes, formatRate } from "../format.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TableHead } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

export interface DriveModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  drive: { id: number; name: string; state: string; inChanger: boolean };
  /** What the drive does now (services/dashboard/drive-activity.ts), and the run doing it. */
  activity?: DriveActivity;
  runId?: number | null;
  /** When the hub cleans the drive unasked (services/drives/cleaning-due.ts puts it in words). */
  cleaning?: {
    schedule: { cron: string | null; everyHours: number | null; everyTerabytes: number | null } | null;
    words: string[];
    lastCleanedAt: Date | null;
  };
  health: DriveHealthReport | null;
  healthAt: Date | null;
  /** The drive's latest backups with streaming figures, newest first. */
  streaming?: {
    runId: number;
    kind?: string;
    startedAt: Date | null;
    health: StreamingHealth | null;
    verdict: StreamingVerdict | null;
  }[];
  readings: {
    readAt: Date;
    tape: string | null;
    alerts: DriveHealthReport["alerts"];
    counters: DriveHealthReport["counters"];
  }[];
}

const COUNTERS: [keyof NonNullable<DriveHealthReport["counters"]>, string][] = [
  ["writeCorrected", "Write errors corrected"],
  ["writeUncorrected", "Write errors uncorrected"],
  ["readCorrected", "Read errors corrected"],
  ["readUncorrected", "Read errors uncorrected"],
];

/** One drive's health: TapeAlert flags set now, error counters, readings over time, and cleaning. */
export function DrivePage(model: DriveModel): SafeHtml {
  const { drive, health } = model;
  const counters = health?.counters ?? null;
  return (
    <Layout {...model.layout} title={drive.name} current="/library">
      <h1>{drive.name}</h1>
      {model.activity ? (
        <p id="drive-doing">
          Doing: <span class={`badge drive-${model.activity.replaceAll(" ", "-")}`}>{model.activity}</span>
          {model.runId ? (
            <>
              {" "}
              (<a href={`/runs/${model.runId}`}>run #{String(model.runId)}</a>)
            </>
          ) : null}
        </p>
      ) : null}
      <section class="card" id="drive-health">
        <h2>Health</h2>
        <p class="muted">
          {model.healthAt ? (
            <>
              Read <Time at={model.healthAt} /> (sg_logs pages 0x2e, 0x02, 0x03)
            </>
          ) : (
            "Not read yet"
          )}
        </p>
        <h3>TapeAlert</h3>
        {health && health.alerts.length > 0 ? (
          <ul>
            {health.alerts.map((a) => (
              <li class={`severity-${a.severity}`}>
                {a.code} {a.name} ({a.severity})
              </li>
            ))}
          </ul>
        ) : (
          <p>No flag set.</p>
        )}
        <h3>Counters</h3>
        {counters ? (
          <table>
            <tbody>
              {COUNTERS.map(([key, label]) => (
                <tr>
                  <th>{label}</th>
                  <td>{String(counters[key])}</td>
                </tr>
              ))}
              <tr>
                <th>Bytes written / read</th>
                <td>
                  {formatBytes(counters.bytesWritten)} / {formatBytes(counters.bytesRead)}
                </td>
              </tr>
            </tbody>
          </table>
        ) : (
          <p class="muted">The drive gives no counters (no sg node).</p>
        )}
      </section>
      {model.canOperate && drive.inChanger ? (
        <section class="card">
          <h2>Cleaning</h2>
          <form class="inline" hx-post={`/drives/${drive.id}/clean`} hx-target="#drive-clean-result">
            <button type="submit">Clean now</button>
          </form>
          <div id="drive-clean-result" aria-live="polite"></div>
          <p class="muted">
            Loads a cleaning cartridge (CLN) of the changer. The hub does this by itself when the drive raises
            TapeAlert 20 or 21, once the drive is idle.
          </p>
          <h3>Schedule</h3>
          <p id="drive-cleaning-schedule">
            {model.cleaning?.words.length
              ? `Cleaned ${model.cleaning.words.join(", or ")}, whichever comes first, when idle.`
              : "No schedule: cleaned only when the drive asks (TapeAlert 20/21) or on request."}{" "}
            Last cleaned{" "}
            {model.cleaning?.lastCleanedAt ? (
              <Time at={model.cleaning.lastCleanedAt} />
            ) : (
              "never (by the hub)"
            )}
            .
          </p>
          <form
            class="stack"
            hx-post={`/drives/${drive.id}/cleaning-schedule`}
            hx-target="#drive-schedule-result"
          >
            <label>
              Cron (hub's zone){" "}
              <input name="cron" placeholder="0 6 1 * *" value={model.cleaning?.schedule?.cron ?? ""} />
            </label>
            <label>
              Every hours of use{" "}
              <input
                name="everyHours"
                inputmode="decimal"
                value={String(model.cleaning?.schedule?.everyHours ?? "")}
              />
            </label>
            <label>
              Every TB written{" "}
              <input
                name="everyTerabytes"
                inputmode="decimal"
                value={String(model.cleaning?.schedule?.everyTerabytes ?? "")}
              />
            </label>
            <button type="submit">Save schedule</button>
            <div id="drive-schedule-result" aria-live="polite"></div>
          </form>
        </section>
      ) : null}
      {model.streaming && model.streaming.length > 0 ? (
        <section class="card" id="drive-streaming">
          <h2>Streaming</h2>
          <table>
            <TableHead columns={["Run", "Started", "Stops for data", "Fed at", "Verdict"]} />
            <tbody>
              {model.streaming.map((r) => (
                <tr>
                  <td>
                    {r.kind ? <span class="badge kind">{r.kind}</span> : null}{" "}
                    <a href={`/runs/${r.runId}`}>#{r.runId}</a>
                  </td>
                  <td>
                    <Time at={r.startedAt} />
                  </td>
                  <td>{String(r.health?.waits ?? 0)}</td>
                  <td>{formatRate(r.health?.feedBytesPerSec)}</td>
                  <td>
                    {r.verdict?.shoeShining
                      ? "shoe-shined"
                      : r.verdict?.advice.length
                        ? "bursty source"
                        : r.verdict
                          ? "streamed"
                          : "–"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      <section class="card">
        <h2>Readings</h2>
        <table>
          <TableHead
            columns={["Read", "Tape", "TapeAlert", "Write (corr./uncorr.)", "Read (corr./uncorr.)"]}
          />
          <tbody>
            {model.readings.map((r) => (
              <tr>
                <td>
                  <Time at={r.readAt} />
                </td>
                <td>{r.tape ?? "–"}</td>
                <td>{r.alerts.map((a) => `${a.code} ${a.name}`).join(", ") || "none"}</td>
                <td>{r.counters ? `${r.counters.writeCorrected} / ${r.counters.writeUncorrected}` : "–"}</td>
                <td>{r.counters ? `${r.counters.readCorrected} / ${r.counters.readUncorrected}` : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
