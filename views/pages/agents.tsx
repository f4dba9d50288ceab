import { formatAgo } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, TableHead } from "../partials/forms.tsx";

export interface AgentsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  isAdmin: boolean;
  now: Date;
  agents: {
    id: string;
    name: string;
    state: string;
    hostname: string | null;
    version: string | null;
    lastSeenAt: Date | null;
    enrolled: boolean;
  }[];
}

export function AgentsPage(model: AgentsModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Agents" current="/agents">
      <h1>Agents</h1>
      <section class="card">
        <table>
          <TableHead columns={["Name", "State", "Host", "Version", "Last seen"]} />
          <tbody>
            {model.agents.map((a) => (
              <tr>
                <td>{a.name}</td>
                <td>
                  <span class={`badge state-${a.state}`}>
                    {a.enrolled ? a.state : "waiting for enrollment"}
                  </span>
                </td>
                <td>{a.hostname ?? "–"}</td>
                <td>{a.version ?? "–"}</td>
                <td>{formatAgo(a.lastSeenAt, model.now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {model.isAdmin ? (
        <section class="card">
          <h2>Add an agent</h2>
          <p class="muted">
            The enrollment token is shown once. On the tape host run the command shown after creating.
          </p>
          <HxForm action="/agents" id="new-agent" submit="Create agent">
            <Field label="Name" name="name" required />
            <Field label="Site" name="site" placeholder="Main" />
          </HxForm>
        </section>
      ) : null}
    </Layout>
  );
}

/** Shown once, right after creation: the token is never retrievable again. */
export function EnrollmentToken(props: { hubUrl: string; token: string; name: string }): SafeHtml {
  return (
    <div class="alert ok" role="status">
      <p>Agent {props.name} created. On its tape host run (the token works once, for 24 hours):</p>
      <pre>{`drive-agent enroll --hub ${props.hubUrl} --token ${props.token} --drive /dev/nst0`}</pre>
    </div>
  );
}
