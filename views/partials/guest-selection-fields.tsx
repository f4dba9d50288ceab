import type { GuestSelectionPreview as Preview } from "../../functions/services/guests/preview-guest-selection.ts";
import { h, type SafeHtml } from "../html.ts";
import { Field, Select } from "./forms.tsx";
import { Time } from "./time.tsx";

export type GuestChoice = {
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

/** A field's name in a form: `by` on the source form, `guestBy` on the job form (prefix "guest"). */
export const guestFieldName = (prefix: string, key: string) =>
  prefix ? `${prefix}${key[0]?.toUpperCase()}${key.slice(1)}` : key;

/**
 * Which guests and in which vzdump mode: on a Proxmox source (its default) and on a job over one
 * (`inherit` offers "as the source says"). The same fields, so both forms read the same way.
 */
export function GuestSelectionFields(props: {
  prefix: string;
  choice: GuestChoice | null;
  inherit?: boolean;
}): SafeHtml {
  const name = (key: string) => guestFieldName(props.prefix, key);
  const sel = props.choice?.selection ?? {};
  const by = props.choice ? (sel.by ?? "all") : props.inherit ? "" : "all";
  const values =
    sel.by === "ids"
      ? (sel.ids ?? []).join(", ")
      : sel.by === "pools"
        ? (sel.pools ?? []).join(", ")
        : (sel.tags ?? []).join(", ");
  return (
    <div class="stack">
      <Select
        label="Guests"
        name={name("by")}
        selected={by}
        options={[
          ...(props.inherit ? [{ value: "", label: "as the Proxmox source says" }] : []),
          { value: "all", label: "all guests of the node" },
          { value: "ids", label: "these ids" },
          { value: "tags", label: "guests with one of these tags" },
          { value: "pools", label: "guests in one of these PVE pools" },
        ]}
      />
      <Field label="Ids, tags or pools (comma-separated)" name={name("values")} value={values} />
      <Field
        label="Exclude ids (comma-separated)"
        name={name("exclude")}
        value={(sel.exclude ?? []).join(", ")}
      />
      <label class="check">
        <input
          type="checkbox"
          name={name("includeTemplates")}
          value="1"
          checked={sel.includeTemplates === true}
        />{" "}
        Back up templates too
      </label>
      <Select
        label="vzdump mode"
        name={name("mode")}
        selected={props.choice?.mode ?? "snapshot"}
        options={["snapshot", "suspend", "stop"].map((v) => ({ value: v, label: v }))}
      />
    </div>
  );
}

/**
 * The job form's guest fieldset: the fields, and the guests they select now (htmx, as typed; any
 * change in the form, the source too, asks again). htmx 4 reads a modifier's value up to a space,
 * so the `from:` selector is quoted.
 */
export function JobGuestFields(props: { id: string; choice: GuestChoice | null }): SafeHtml {
  const target = `guest-preview-${props.id}`;
  return (
    <fieldset
      hx-get="/partials/guest-selection"
      hx-trigger='load, change from:"closest form", input changed delay:400ms from:"closest form"'
      hx-include="closest form"
      hx-target={`#${target}`}
      hx-swap="innerHTML"
    >
      <legend>Proxmox guests (a job over a Proxmox source)</legend>
      <GuestSelectionFields prefix="guest" choice={props.choice} inherit />
      <div id={target} aria-live="polite"></div>
    </fieldset>
  );
}

/** A job's choice of guests in words: "tags tape, prod; not 105; templates too; mode stop". */
export function guestChoiceWords(choice: GuestChoice): string {
  const sel = choice.selection ?? {};
  const named =
    sel.by === "ids"
      ? `ids ${(sel.ids ?? []).join(", ")}`
      : sel.by === "tags"
        ? `tags ${(sel.tags ?? []).join(", ")}`
        : sel.by === "pools"
          ? `PVE pools ${(sel.pools ?? []).join(", ")}`
          : "all of the node";
  const except = (sel.exclude ?? []).length > 0 ? `; not ${(sel.exclude ?? []).join(", ")}` : "";
  return `${named}${except}${sel.includeTemplates ? "; templates too" : ""}; mode ${choice.mode ?? "snapshot"}`;
}

const typeWord = (type: string) => (type === "qemu" ? "VM" : "container");

/** The guests a selection names now, by the source's last discovery; or why that cannot be said. */
export function GuestSelectionPreview(props: {
  preview: Preview | { state: "invalid"; message: string };
}): SafeHtml {
  const { preview } = props;
  if (preview.state === "not-proxmox") return <span class="muted">This source holds paths, not guests.</span>;
  if (preview.state === "invalid")
    return (
      <div class="alert error" role="alert">
        {preview.message}
      </div>
    );
  if (preview.state === "undiscovered")
    return (
      <span class="muted">
        No discovery of {preview.source} yet:{" "}
        <a href={`/sources/${preview.sourceId}/guests`}>discover its guests</a> to see which ones this
        selects.
      </span>
    );
  return (
    <div class="guest-preview">
      <p class="muted">
        {preview.from === "job" ? "This job selects" : "The source's selection names"}{" "}
        {String(preview.selected.length)} guest{preview.selected.length === 1 ? "" : "s"} on {preview.node}{" "}
        now (mode {preview.mode}; discovered <Time at={preview.discoveredAt} />
        ):
      </p>
      {preview.selected.length === 0 ? (
        <div class="alert warn">No guest matches: a run would back up nothing and fail.</div>
      ) : (
        <ul>
          {preview.selected.map((g) => (
            <li>
              {String(g.vmid)} {g.name} ({typeWord(g.type)}, {g.status})
            </li>
          ))}
        </ul>
      )}
      {preview.missing.length > 0 ? (
        <p class="alert warn">
          Not on {preview.node}: {preview.missing.join(", ")} (a run says so in its log).
        </p>
      ) : null}
      {preview.templatesLeftOut > 0 ? (
        <p class="muted">
          {String(preview.templatesLeftOut)} template{preview.templatesLeftOut === 1 ? "" : "s"} left out
          (tick "Back up templates too").
        </p>
      ) : null}
    </div>
  );
}
