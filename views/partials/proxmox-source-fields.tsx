import type { SiteChoice } from "../../functions/services/sites/sites-to-act-at.ts";
import { h, type SafeHtml } from "../html.ts";
import { Field } from "./forms.tsx";
import { type GuestChoice, GuestSelectionFields } from "./guest-selection-fields.tsx";
import { SiteAndAgentSelects } from "./site-select.tsx";

type Options = GuestChoice & {
  apiUrl?: string;
  tokenId?: string;
  fingerprint?: string | null;
  node?: string;
};

/** A Proxmox source's fields: API, token (write-only), node, which guests and how (new and edit alike). */
export function ProxmoxSourceFields(props: {
  agents: { id: string; name: string; siteId?: number | null }[];
  siteChoice: SiteChoice;
  source?: { name: string; agentId: string | null; options: Record<string, unknown> | null };
}): SafeHtml {
  const o = (props.source?.options ?? {}) as Options;
  return (
    <div class="stack">
      <Field label="Name" name="name" required value={props.source?.name} />
      <SiteAndAgentSelects
        choice={props.siteChoice}
        agents={props.agents}
        agentLabel="Agent on the PVE node (runs vzdump and the restores)"
        source={props.source}
      />
      <Field label="API URL" name="apiUrl" required placeholder="https://pve1.lan:8006" value={o.apiUrl} />
      <Field
        label="API token id"
        name="tokenId"
        required
        placeholder="tapebackarr@pve!tape"
        value={o.tokenId}
      />
      <label>
        API token secret {props.source ? "(leave empty to keep the stored one)" : ""}
        <input name="tokenSecret" type="password" autocomplete="off" required={!props.source} />
      </label>
      <Field
        label="Pinned certificate SHA-256 fingerprint (empty: the system store must trust it)"
        name="fingerprint"
        placeholder="AB:CD:…"
        value={o.fingerprint ?? undefined}
      />
      <Field label="Node" name="node" required placeholder="pve1" value={o.node} />
      <p class="muted">
        The guests chosen below are the default of a job over this source that does not choose its own.
      </p>
      <GuestSelectionFields prefix="" choice={o} />
    </div>
  );
}
