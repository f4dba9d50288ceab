import type { SiteChoice } from "../../functions/services/sites/sites-to-act-at.ts";
import { h, type SafeHtml } from "../html.ts";
import { Select } from "./forms.tsx";

/** The value of "no site" in a form (an empty field would read as "unchanged" on an edit). */
export const NO_SITE = "none";

/**
 * The site of a new or edited tape, pool, source or job: only the sites the user may act at. A
 * site-scoped user must choose one (their only site is preselected); anyone else may choose none.
 */
export function SiteSelect(props: {
  choice: SiteChoice;
  label?: string;
  /** The site the object is at now (an edit); null: at no site. */
  selected?: number | null;
}): SafeHtml {
  const { choice } = props;
  const label = props.label ?? "Site";
  if (choice.required && choice.sites.length === 0)
    return <p class="muted">You hold the operator role at no site, so you cannot create one here.</p>;
  const selected =
    props.selected === undefined ? (choice.required ? choice.sites[0]?.id : null) : props.selected;
  return (
    <Select
      label={label}
      name="siteId"
      required={choice.required}
      selected={selected == null ? NO_SITE : String(selected)}
      options={[
        ...(choice.required ? [] : [{ value: NO_SITE, label: "No site" }]),
        ...choice.sites.map((s) => ({ value: String(s.id), label: s.name })),
      ]}
    />
  );
}

/**
 * A source's site and agent (local and Proxmox alike): a site-scoped user picks among their sites'
 * agents only, each labelled with its site; the server checks that agent and site agree.
 */
export function SiteAndAgentSelects(props: {
  choice: SiteChoice;
  agents: { id: string; name: string; siteId?: number | null }[];
  agentLabel: string;
  /** The agent of the source being edited; undefined for a new source. */
  source?: { agentId: string | null };
}): SafeHtml {
  const { choice, source } = props;
  const siteName = new Map(choice.sites.map((s) => [s.id, s.name]));
  const agents = choice.required
    ? props.agents.filter((a) => a.siteId != null && siteName.has(a.siteId))
    : props.agents;
  const agentSite = source?.agentId ? props.agents.find((a) => a.id === source.agentId)?.siteId : undefined;
  return (
    <div class="stack">
      <SiteSelect
        label="Site (where its agent is)"
        choice={choice}
        selected={source ? (agentSite ?? null) : undefined}
      />
      <Select
        label={props.agentLabel}
        name="agentId"
        selected={source?.agentId ?? undefined}
        options={agents.map((a) => ({
          value: a.id,
          label:
            a.siteId != null && siteName.has(a.siteId) ? `${a.name} (${siteName.get(a.siteId)})` : a.name,
        }))}
      />
    </div>
  );
}
