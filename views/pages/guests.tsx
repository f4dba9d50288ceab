import type { GuestInventory, GuestRow } from "../../functions/services/guests/get-guest-inventory.ts";
import { formatBytes } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, TableHead } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

export interface GuestsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  inventory: GuestInventory;
}

/** Restore one guest's last archive: into PVE (as the same or a new id) or into a directory. */
function RestoreForm(props: { sourceId: number; guest: GuestRow; backupId: number }): SafeHtml {
  const { guest } = props;
  const id = `restore-${guest.type}-${guest.vmid}`;
  return (
    <details>
      <summary>Restore</summary>
      <HxForm
        action={`/sources/${props.sourceId}/guest-backups/${props.backupId}/restore`}
        id={id}
        submit="Restore from tape"
      >
        <fieldset>
          <legend>Where to</legend>
          <label class="check">
            <input type="radio" name="target" value="pve" checked /> Into Proxmox on {guest.node} (
            {guest.type === "qemu" ? "qmrestore" : "pct restore"})
          </label>
          <label class="check">
            <input type="radio" name="target" value="file" /> The vzdump archive into a directory on the agent
          </label>
        </fieldset>
        <Field label="Restore as guest id" name="vmid" type="number" value={String(guest.vmid)} />
        <Field label="Target storage (optional)" name="storage" placeholder="local-lvm" />
        <Field label="Directory (for the archive)" name="destination" placeholder="/var/tmp/restore" />
        <label class="check">
          <input type="checkbox" name="overwrite" value="1" /> Overwrite an existing, stopped guest of that id
          (a running guest is always refused)
        </label>
      </HxForm>
    </details>
  );
}

function GuestLine(props: { sourceId: number; guest: GuestRow; canOperate: boolean }): SafeHtml {
  const { guest } = props;
  const disks = guest.disks.map((d) => `${d.key} ${formatBytes(d.sizeBytes)}`).join(", ");
  return (
    <tr id={`guest-${guest.type}-${guest.vmid}`}>
      <td>{String(guest.vmid)}</td>
      <td>{guest.name}</td>
      <td>{guest.type === "qemu" ? "VM" : "container"}</td>
      <td>{guest.node}</td>
      <td>{guest.status}</td>
      <td>{guest.tags.join(", ")}</td>
      <td>{guest.pool ?? ""}</td>
      <td>{guest.template ? "template" : ""}</td>
      <td>{disks}</td>
      <td>
        {guest.lastBackup ? (
          <span>
            <Time at={guest.lastBackup.at} /> ({formatBytes(guest.lastBackup.bytes)}, set{" "}
            <a href={`/restore/sets/${guest.lastBackup.setId}`}>{String(guest.lastBackup.setId)}</a>)
          </span>
        ) : (
          <span class="muted">never</span>
        )}
        {guest.lastFailure ? (
          <p class="error">
            last attempt failed <Time at={guest.lastFailure.at} />: {guest.lastFailure.error ?? ""}
          </p>
        ) : null}
      </td>
      <td>
        {props.canOperate && guest.lastBackup ? (
          <RestoreForm sourceId={props.sourceId} guest={guest} backupId={guest.lastBackup.id} />
        ) : null}
      </td>
    </tr>
  );
}

/** One source's guests as the agent last discovered them, with each one's last tape backup. */
function GuestSection(props: {
  inventory: GuestInventory;
  canOperate: boolean;
  heading?: boolean;
}): SafeHtml {
  const { inventory, canOperate } = props;
  const { source } = inventory;
  return (
    <section id={`source-${source.id}`}>
      {props.heading ? (
        <h2>
          <a href={`/sources/${source.id}/guests`}>{source.name}</a>
        </h2>
      ) : null}
      <p>
        Node {source.node ?? "?"} · last discovery:{" "}
        {inventory.discoveredAt ? <Time at={inventory.discoveredAt} /> : "never"}
        {inventory.nodes.length > 0
          ? ` · nodes: ${inventory.nodes.map((n) => `${n.node} (${n.status})`).join(", ")}`
          : ""}
      </p>
      {inventory.error ? (
        <div class="alert error" role="alert">
          The last discovery failed (<Time at={inventory.attemptedAt} />
          ): {inventory.error}
        </div>
      ) : null}
      {canOperate ? (
        <HxForm
          action={`/sources/${source.id}/discover`}
          id={props.heading ? `discover-${source.id}` : "discover"}
          submit="Discover guests now"
        />
      ) : null}
      <table>
        <TableHead
          columns={[
            "ID",
            "Name",
            "Type",
            "Node",
            "Status",
            "Tags",
            "Pool",
            "",
            "Disks",
            "Last tape backup",
            canOperate && "",
          ]}
        />
        <tbody>
          {inventory.guests.map((guest) => (
            <GuestLine sourceId={source.id} guest={guest} canOperate={canOperate} />
          ))}
        </tbody>
      </table>
      {inventory.guests.length === 0 ? <p>No guests known yet: discover them.</p> : null}
    </section>
  );
}

/** A Proxmox source's guests page. */
export function GuestsPage(model: GuestsModel): SafeHtml {
  const { source } = model.inventory;
  return (
    <Layout {...model.layout} title={`Guests of ${source.name}`} current="/guests">
      <h1>Guests of {source.name}</h1>
      <p>
        <a href="/guests">← All guests</a>
      </p>
      <GuestSection inventory={model.inventory} canOperate={model.canOperate} />
    </Layout>
  );
}

/** The main menu's guests page: every Proxmox source's guests with their last tape backup. */
export function AllGuestsPage(
  model: Omit<GuestsModel, "inventory"> & { inventories: GuestInventory[] },
): SafeHtml {
  return (
    <Layout {...model.layout} title="Guests" current="/guests">
      <h1>Proxmox guests</h1>
      {model.inventories.length === 0 ? (
        <p>
          No Proxmox source yet: add one on <a href="/sources">Sources</a> (an agent on a PVE node backs its
          guests up).
        </p>
      ) : null}
      {model.inventories.map((inventory) => (
        <GuestSection inventory={inventory} canOperate={model.canOperate} heading />
      ))}
    </Layout>
  );
}
