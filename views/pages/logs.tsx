import { formatTime } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, TableHead } from "../partials/forms.tsx";

export interface LogsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  filter: { action?: string | undefined; actor?: string | undefined };
  rows: {
    id: number;
    at: Date;
    actor: string;
    action: string;
    target: string | null;
    outcome: string;
    ip: string | null;
  }[];
  nextCursor: number | null;
}

export function LogsPage(model: LogsModel): SafeHtml {
  const query = new URLSearchParams(
    Object.entries(model.filter).filter((e): e is [string, string] => !!e[1]),
  );
  return (
    <Layout {...model.layout} title="Audit log" current="/logs">
      <h1>Audit log</h1>
      <form class="filters" method="get" action="/logs">
        <Field label="Action" name="action" value={model.filter.action ?? ""} placeholder="auth.login" />
        <Field label="Actor" name="actor" value={model.filter.actor ?? ""} />
        <button type="submit">Filter</button>
      </form>
      <section class="card">
        <table>
          <TableHead columns={["Time", "Actor", "Action", "Target", "Outcome", "From"]} />
          <tbody>
            {model.rows.map((r) => (
              <tr>
                <td>{formatTime(r.at)}</td>
                <td>{r.actor}</td>
                <td>{r.action}</td>
                <td>{r.target ?? ""}</td>
                <td>
                  <span class={`badge state-${r.outcome === "success" ? "completed" : "failed"}`}>
                    {r.outcome}
                  </span>
                </td>
                <td>{r.ip ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {model.nextCursor ? (
          <a href={`/logs?${query.toString()}${query.size ? "&" : ""}cursor=${model.nextCursor}`}>Older</a>
        ) : null}
      </section>
    </Layout>
  );
}
