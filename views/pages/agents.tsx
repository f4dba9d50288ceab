import { formatAgo } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, TableHead } from "../partials/forms.tsx";
import { SiteFilter } from "../partials/site-filter.tsx";

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
  canOperate: boolean;
  /** The sites the viewer may filter by, and the one shown (null: every site). */
  sites?: { id: number; name: string }[];
  site?: number | null;
  drives: { id: number; name: string; devicePath: string; agentName: string; state: string }[];
}

export function AgentsPage(model: AgentsModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Agents" current="/agents">
      <h1>Agents</h1>
      <SiteFilter action="/agents" sites={model.sites ?? []} current={model.site ?? null} />
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
      {model.drives.length > 0 ? (
        <section class="card">
          <h2>Drives</h2>
          {model.canOperate ? (
            <p class="muted">
              Scan reads a tape's label and every TOC and adds what the catalog does not know (after a lost
              database, or tapes from elsewhere). Name a cartridge of the drive's changer, or leave it empty
              to scan the tape in the drive.
            </p>
          ) : null}
          <table>
            <TableHead
              columns={["Drive", "Agent", "Device", "State", ...(model.canOperate ? ["Scan"] : [])]}
            />
            <tbody>
              {model.drives.map((d) => (
                <tr>
                  <td>{d.name}</td>
                  <td>{d.agentName}</td>
                  <td>
                    <code>{d.devicePath}</code>
                  </td>
                  <td>
                    <span class={`badge state-${d.state}`}>{d.state}</span>
                  </td>
                  {model.canOperate ? (
                    <td>
                      <HxForm action={`/drives/${d.id}/scan`} id={`scan-${d.id}`} submit="Scan">
                        <Field label="Barcode" name="barcode" placeholder="in the drive" />
                      </HxForm>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
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
