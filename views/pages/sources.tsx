import type { SiteChoice } from "../../functions/services/sites/sites-to-act-at.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, Select, TableHead } from "../partials/forms.tsx";
import { ProxmoxSourceFields } from "../partials/proxmox-source-fields.tsx";
import { SiteFilter } from "../partials/site-filter.tsx";
import { SiteAndAgentSelects } from "../partials/site-select.tsx";

export interface SourceRow {
  id: number;
  name: string;
  kind: string;
  agentId: string | null;
  paths: string[];
  exclude: string[];
  options: Record<string, unknown> | null;
}

export interface SourcesModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  /** Admins may make Proxmox sources (their form carries an API token secret). */
  canAdmin?: boolean;
  sources: SourceRow[];
  agents: { id: string; name: string; siteId?: number | null }[];
  /** The sites the viewer may filter by, and the one shown (null: every site). */
  sites?: { id: number; name: string }[];
  site?: number | null;
  /** The sites a new or edited source may be at (its agent's site). */
  siteChoice: SiteChoice;
}

/** What the jobs back up: every source with its paths, an edit form each, and a new-source form. */
export function SourcesPage(model: SourcesModel): SafeHtml {
  const agent = new Map(model.agents.map((a) => [a.id, a.name]));
  return (
    <Layout {...model.layout} title="Sources" current="/sources">
      <h1>Sources</h1>
      <p class="muted">
        A source is the paths an agent reads for a backup job. Jobs are on <a href="/jobs">Jobs</a>.
      </p>
      <SiteFilter action="/sources" sites={model.sites ?? []} current={model.site ?? null} />
      <section class="card">
        <table>
          <TableHead columns={["Source", "Kind", "Agent", "Paths", "Excluded"]} />
          <tbody>
            {model.sources.map((src) => (
              <tr id={`source-${src.id}`}>
                <td>
                  {src.name}
                  {model.canOperate ? (
                    <details>
                      <summary>Edit</summary>
                      {src.kind === "proxmox" ? (
                        <HxForm
                          action={`/proxmox-sources/${src.id}`}
                          id={`edit-source-${src.id}`}
                          submit="Save source"
                        >
                          <ProxmoxSourceFields
                            agents={model.agents}
                            siteChoice={model.siteChoice}
                            source={src}
                          />
                        </HxForm>
                      ) : (
                        <HxForm
                          action={`/sources/${src.id}`}
                          id={`edit-source-${src.id}`}
                          submit="Save source"
                        >
                          <SourceFields agents={model.agents} siteChoice={model.siteChoice} source={src} />
                        </HxForm>
                      )}
                    </details>
                  ) : null}
                </td>
                <td>{src.kind}</td>
                <td>{src.agentId ? (agent.get(src.agentId) ?? src.agentId) : "–"}</td>
                <td class="run-path">
                  {src.kind === "proxmox" ? (
                    <a href={`/sources/${src.id}/guests`}>Guests ({guestWords(src.options)})</a>
                  ) : (
                    src.paths.join(", ")
                  )}
                </td>
                <td class="run-path">{src.exclude.join(", ") || "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {model.sources.length === 0 ? <p class="muted">No source yet.</p> : null}
      </section>
      {model.canOperate ? (
        <section class="card">
          <h2>New source</h2>
          <HxForm action="/sources" id="new-source" submit="Create source">
            <SourceFields agents={model.agents} siteChoice={model.siteChoice} />
          </HxForm>
        </section>
      ) : null}
      {model.canAdmin ? (
        <section class="card">
          <h2>New Proxmox source</h2>
          <HxForm action="/proxmox-sources" id="new-proxmox-source" submit="Create Proxmox source">
            <ProxmoxSourceFields agents={model.agents} siteChoice={model.siteChoice} />
          </HxForm>
        </section>
      ) : null}
    </Layout>
  );
}

/** Which guests a Proxmox source backs up, in a few words. */
function guestWords(options: Record<string, unknown> | null): string {
  const sel = (options?.selection ?? {}) as {
    by?: string;
    ids?: number[];
    tags?: string[];
    pools?: string[];
  };
  if (sel.by === "ids") return `ids ${(sel.ids ?? []).join(", ")}`;
  if (sel.by === "tags") return `tags ${(sel.tags ?? []).join(", ")}`;
  if (sel.by === "pools") return `pools ${(sel.pools ?? []).join(", ")}`;
  return "all";
}

/** A source's fields, the same for a new source and an edit. */
function SourceFields(props: {
  agents: SourcesModel["agents"];
  siteChoice: SiteChoice;
  source?: SourceRow;
}): SafeHtml {
  const { source, siteChoice } = props;
  return (
    <div class="stack">
      <Field label="Name" name="name" required value={source?.name} />
      <Select
        label="Kind"
        name="kind"
        selected={source?.kind}
        options={["local", "nfs", "smb"].map((v) => ({ value: v, label: v }))}
      />
      <SiteAndAgentSelects
        choice={siteChoice}
        agents={props.agents}
        agentLabel="Agent (host that sees the paths)"
        source={source}
      />
      <Field
        label="Paths (one per line or comma-separated)"
        name="paths"
        required
        placeholder="/srv/share"
        value={source?.paths.join(", ")}
      />
      <Field
        label="Exclude globs (comma-separated)"
        name="exclude"
        placeholder="*.tmp, cache/"
        value={source?.exclude.join(", ")}
      />
    </div>
  );
}
