import type { Dashboard } from "../../functions/services/dashboard/get-dashboard.ts";
import { formatAgo, formatBytes, formatRate } from "../format.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { CapacityBar } from "../partials/capacity-bar.tsx";
import { TableHead } from "../partials/forms.tsx";
import { RunProgress } from "../partials/run-progress.tsx";
import { SiteFilter } from "../partials/site-filter.tsx";
import { ThroughputChart } from "../partials/throughput-chart.tsx";
import { Time } from "../partials/time.tsx";

export interface DashboardModel {
  layout: Omit<LayoutModel, "title" | "current">;
  data: Dashboard;
}

/** Running jobs, polled every 2 s by htmx; the same markup is the partial it swaps in. */
export function ActiveRuns(props: { runs: Dashboard["active"] }): SafeHtml {
  return (
    <section
      class="card"
      id="active-runs"
      hx-get="/partials/active-runs"
      hx-trigger="every 2s"
      hx-swap="outerHTML"
    >
      <h2>Running now</h2>
      {props.runs.length === 0 ? (
        <p class="muted">No job is running.</p>
      ) : (
        props.runs.map((r) => RunProgress(r))
      )}
    </section>
  );
}

/** A new hub's first steps, in order, each ticked once done, until the first backup ran. */
function SetupChecklist(props: { steps: Dashboard["setup"] }): SafeHtml {
  const next = props.steps.find((s) => !s.done);
  return (
    <section class="card setup" id="setup-checklist">
      <h2>Get started</h2>
      <ol class="checklist">
        {props.steps.map((s) => (
          <li class={s.done ? "done" : s === next ? "next" : "todo"}>
            <span class="tick" aria-hidden="true">
              {s.done ? "✓" : "○"}
            </span>{" "}
            {s === next ? <a href={s.href}>{s.step}</a> : s.step}
            <span class="visually-hidden">{s.done ? " (done)" : " (to do)"}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** One row per site: agents up of all, drives busy of all, and what needs an operator there. */
function SiteRows(props: { sites: Dashboard["sites"]; current: number | null }): SafeHtml | null {
  if (props.sites.length === 0) return null;
  return (
    <section class="card" id="site-rows">
      <h2>Sites</h2>
      <SiteFilter action="/" sites={props.sites} current={props.current} />
      <table>
        <TableHead columns={["Site", "Agents up", "Drives busy", "Needs an operator"]} />
        <tbody>
          {props.sites.map((s) => (
            <tr data-site={String(s.id)} aria-current={props.current === s.id ? "true" : undefined}>
              <td>
                <a href={`/?site=${s.id}`}>{s.name}</a>
              </td>
              <td class="agents-up">{`${s.agentsUp} / ${s.agentsTotal}`}</td>
              <td class="drives-busy">{`${s.drivesBusy} / ${s.drivesTotal}`}</td>
              <td class="site-attention">
                {s.attention.length === 0 ? (
                  <span class="muted">nothing</span>
                ) : (
                  <ul>
                    {s.attention.map((i) => (
                      <li>
                        <a href={i.href}>{i.text}</a>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function DashboardPage(model: DashboardModel): SafeHtml {
  const { data } = model;
  const setupDone = data.setup.every((s) => s.done);
  return (
    <Layout {...model.layout} title="Dashboard" current="/">
      <h1>Dashboard</h1>
      {setupDone ? null : <SetupChecklist steps={data.setup} />}
      <SiteRows sites={data.sites} current={data.site} />
      <ActiveRuns runs={data.active} />
      <div class="grid">
        <section class="card">
          <h2>Agents and drives</h2>
          {data.agents.length === 0 ? (
            <p class="muted">No drive-agent yet. Create one under Agents and enroll it on the tape host.</p>
          ) : (
            <table>
              <TableHead columns={["Agent", "State", "Last seen"]} />
              <tbody>
                {data.agents.map((a) => (
                  <tr>
                    <td>{a.name}</td>
                    <td>
                      <span class={`badge state-${a.state}`}>{a.state}</span>
                    </td>
                    <td>{formatAgo(a.lastSeenAt, data.now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {data.drives.length > 0 ? (
            <table>
              <TableHead columns={["Drive", "Doing", "Tape"]} />
              <tbody>
                {data.drives.map((d) => (
                  <tr>
                    <td>{d.name}</td>
                    <td>
                      <span class={`badge drive-${d.activity.replaceAll(" ", "-")}`}>{d.activity}</span>
                      {d.runId ? (
                        <>
                          {" "}
                          <a href={`/runs/${d.runId}`}>run {d.runId}</a>
                        </>
                      ) : null}
                      {(d.alerts ?? []).length > 0 ? (
                        <span class="badge state-error">{(d.alerts ?? []).join(", ")}</span>
                      ) : null}
                    </td>
                    <td>{d.tape ?? "empty"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>
        <section class="card">
          <h2>Tapes</h2>
          <table>
            <tbody>
              {Object.entries(data.tapeStates).map(([state, n]) => (
                <tr>
                  <td>
                    <a href={`/tapes?state=${state}`}>{state}</a>
                  </td>
                  <td>{n}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>
            <a href="/pools">Pools</a>
          </h3>
          {data.pools.length === 0 ? <p class="muted">No pool yet.</p> : null}
          {data.pools.map((p) => (
            <div class="capacity-row">
              <div>
                {p.name}{" "}
                <span class="muted">
                  · {p.tapes} tape{p.tapes === 1 ? "" : "s"}
                </span>
              </div>
              {p.tapes > 0 ? (
                CapacityBar({
                  label: `Pool ${p.name}`,
                  used: p.used,
                  capacity: p.capacity || null,
                  nominal: p.nominal,
                })
              ) : (
                <p class="muted">
                  No tape yet: <a href="/tapes">label one into it</a>.
                </p>
              )}
            </div>
          ))}
          {data.tapes.length > 0 ? <h3>Fullest tapes</h3> : null}
          {data.tapes.map((t) => (
            <div class="capacity-row">
              <div>
                <a href={`/tapes/${t.id}`}>{t.barcode}</a>
                {t.pool ? <span class="muted"> · {t.pool}</span> : null}
              </div>
              {CapacityBar({
                label: `Tape ${t.barcode}`,
                used: t.used,
                capacity: t.capacity,
                nominal: t.nominal,
              })}
            </div>
          ))}
        </section>
      </div>
      <section class="card">
        <h2>Last 24 hours</h2>
        <p class="muted">Average rate of each run from its start to its end; hover a bar for its figures.</p>
        {ThroughputChart({ runs: data.recent, now: data.now })}
        {data.recent.length === 0 ? (
          <p class="muted">No run finished in the last 24 hours.</p>
        ) : (
          <table>
            <TableHead columns={["Finished", "Job", "Kind", "Result", "Data", "Rate"]} />
            <tbody>
              {data.recent.map((r) => (
                <tr>
                  <td>
                    <Time at={r.finishedAt} />
                  </td>
                  <td>
                    <a href={`/runs/${r.id}`}>{r.jobName}</a>
                  </td>
                  <td>
                    <span class="badge kind">{r.kind}</span>
                  </td>
                  <td>
                    <span class={`badge state-${r.state}`}>{r.state}</span>
                  </td>
                  <td>{formatBytes(r.bytesDone)}</td>
                  <td>{formatRate(r.rateBytesPerSec)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}
