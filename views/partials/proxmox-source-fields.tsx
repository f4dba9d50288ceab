import { h, type SafeHtml } from "../html.ts";
import { Field, Select } from "./forms.tsx";

type Options = {
  apiUrl?: string;
  tokenId?: string;
  fingerprint?: string | null;
  node?: string;
  selection?: {
    by?: string;
    ids?: number[];
    tags?: string[];
    pools?: string[];
    exclude?: number[];
    includeTemplates?: boolean;
  };
  mode?: string;
};

/** A Proxmox source's fields: API, token (write-only), node, which guests and how (new and edit alike). */
export function ProxmoxSourceFields(props: {
  agents: { id: string; name: string }[];
  source?: { name: string; agentId: string | null; options: Record<string, unknown> | null };
}): SafeHtml {
  const o = (props.source?.options ?? {}) as Options;
  const sel = o.selection ?? {};
  const values =
    sel.by === "ids"
      ? (sel.ids ?? []).join(", ")
      : sel.by === "pools"
        ? (sel.pools ?? []).join(", ")
        : (sel.tags ?? []).join(", ");
  return (
    <div class="stack">
      <Field label="Name" name="name" required value={props.source?.name} />
      <Select
        label="Agent on the PVE node (runs vzdump and the restores)"
        name="agentId"
        selected={props.source?.agentId ?? undefined}
        options={props.agents.map((a) => ({ value: a.id, label: a.name }))}
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
      <Select
        label="Guests"
        name="by"
        selected={sel.by ?? "all"}
        options={[
          { value: "all", label: "all guests of the node" },
          { value: "ids", label: "these ids" },
          { value: "tags", label: "guests with one of these tags" },
          { value: "pools", label: "guests in one of these PVE pools" },
        ]}
      />
      <Field label="Ids, tags or pools (comma-separated)" name="values" value={values} />
      <Field label="Exclude ids (comma-separated)" name="exclude" value={(sel.exclude ?? []).join(", ")} />
      <label class="check">
        <input type="checkbox" name="includeTemplates" value="1" checked={sel.includeTemplates === true} />{" "}
        Back up templates too
      </label>
      <Select
        label="vzdump mode"
        name="mode"
        selected={o.mode ?? "snapshot"}
        options={["snapshot", "suspend", "stop"].map((v) => ({ value: v, label: v }))}
      />
    </div>
  );
}
