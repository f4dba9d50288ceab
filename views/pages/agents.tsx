import { describeSkew } from "../../functions/services/agents/link-warnings.ts";
import { formatAgo } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, Select, TableHead } from "../partials/forms.tsx";
import { SiteFilter } from "../partials/site-filter.tsx";

export interface AgentsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  isAdmin: boolean;
  now: Date;
  agents: {
    id: string;
    name: string;
    siteId?: number | null;
    state: string;
    hostname: string | null;
    version: string | null;
    protocol: number | null;
    clockSkewMs: number | null;
    lastSeenAt: Date | null;
    enrolled: boolean;
    /** Protocol and clock warnings, in operator words. */
    warnings: string[];
  }[];
  canOperate: boolean;
  /** The sites the viewer may filter by, and the one shown (null: every site). */
  sites?: { id: number; name: string; retiredAt?: Date | null }[];
  site?: number | null;
  drives: {
    id: number;
    name: string;
    devicePath: string;
    agentName: string;
    state: string;
    /** The drive's alerts, e.g. "missing: ..." for one the agent no longer reports. */
    alerts?: string[] | null;
  }[];
}

export function AgentsPage(model: AgentsModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Agents" current="/agents">
      <h1>Agents</h1>
      <SiteFilter action="/agents" sites={model.sites ?? []} current={model.site ?? null} />
      <section class="card">
        <table>
          <TableHead
            columns={[
              "Name",
              "Site",
              "State",
              "Host",
              "Version",
              "Clock",
              "Last contact",
              ...(model.canOperate ? ["Drives"] : []),
            ]}
          />
          <tbody>
            {model.agents.map((a) => (
              <tr>
                <td>{a.name}</td>
                <td>{siteName(model, a.siteId)}</td>
                <td>
                  <span class={`badge state-${a.state}`}>
                    {a.enrolled ? a.state : "waiting for enrollment"}
                  </span>
                </td>
                <td>{a.hostname ?? "–"}</td>
                <td>
                  {a.version ?? "–"}
                  {a.protocol === null ? "" : <span class="muted"> (protocol {String(a.protocol)})</span>}
                </td>
                <td>{a.clockSkewMs === null ? "–" : describeSkew(a.clockSkewMs)}</td>
                <td>{formatAgo(a.lastSeenAt, model.now)}</td>
                {model.canOperate ? (
                  <td>
                    {a.enrolled ? (
                      <HxForm
                        action={`/agents/${a.id}/rescan`}
                        id={`rescan-${a.id}`}
                        submit="Rescan drives"
                      />
                    ) : (
                      "–"
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {model.agents.some((a) => a.warnings.length > 0) ? (
          <ul class="agent-warnings">
            {model.agents.flatMap((a) => a.warnings.map((text) => <li class="warning">{text}</li>))}
          </ul>
        ) : null}
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
                    {(d.alerts ?? []).map((alert) => (
                      <div class="muted">{alert}</div>
                    ))}
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
      {model.isAdmin && model.agents.length > 0 && (model.sites ?? []).length > 0 ? (
        <MoveHosts {...model} />
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

function siteName(model: AgentsModel, siteId: number | null | undefined): string {
  return model.sites?.find((s) => s.id === siteId)?.name ?? "–";
}

/** Moving a host takes its drives, changers and library tapes along; refused while it runs. */
function MoveHosts(model: AgentsModel): SafeHtml {
  const targets = (model.sites ?? []).filter((s) => !s.retiredAt);
  return (
    <section class="card" id="move-hosts">
      <h2>Move a host to another site</h2>
      <p class="muted">
        Its drives, changers and the tapes in its drives and slots go with it (each tape's history records the
        move); its jobs then run at the new site, in that site's time zone. Refused while a run of the host
        has not ended.
      </p>
      {model.agents
        .filter((a) => targets.some((s) => s.id !== a.siteId))
        .map((a) => (
          <HxForm action={`/agents/${a.id}/move`} id={`move-${a.id}`} submit={`Move ${a.name}`}>
            <Select
              label={`New site of ${a.name}`}
              name="toSiteId"
              options={targets
                .filter((s) => s.id !== a.siteId)
                .map((s) => ({ value: String(s.id), label: s.name }))}
            />
            <Field label="Note" name="note" placeholder="new office, same hardware" />
          </HxForm>
        ))}
    </section>
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
