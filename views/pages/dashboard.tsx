import type { Dashboard } from "../../functions/services/dashboard.ts";
import { formatAgo, formatBytes, formatRate, formatTime } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TableHead } from "../partials/forms.tsx";
import { RunProgress } from "../partials/run-progress.tsx";
import { ThroughputChart } from "../partials/throughput-chart.tsx";

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

export function DashboardPage(model: DashboardModel): SafeHtml {
  const { data } = model;
  return (
    <Layout {...model.layout} title="Dashboard" current="/">
      <h1>Dashboard</h1>
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
              <TableHead columns={["Drive", "State", "Tape"]} />
              <tbody>
                {data.drives.map((d) => (
                  <tr>
                    <td>{d.name}</td>
                    <td>
                      <span class={`badge state-${d.state}`}>{d.state}</span>
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
          <h3>Pools</h3>
          <table>
            <tbody>
              {data.pools.map((p) => (
                <tr>
                  <td>{p.name}</td>
                  <td>{p.tapes} tapes</td>
                  <td>
                    {formatBytes(p.used)} used{p.capacity ? ` of ${formatBytes(p.capacity)}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <section class="card">
        <h2>Last 24 hours</h2>
        {ThroughputChart({ runs: data.recent })}
        {data.recent.length === 0 ? (
          <p class="muted">No run finished in the last 24 hours.</p>
        ) : (
          <table>
            <TableHead columns={["Finished", "Job", "Result", "Data", "Rate"]} />
            <tbody>
              {data.recent.map((r) => (
                <tr>
                  <td>{formatTime(r.finishedAt)}</td>
                  <td>
                    <a href={`/runs/${r.id}`}>{r.jobName}</a>
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
