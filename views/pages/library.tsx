import type { LibraryView } from "../../functions/services/library/get-library.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TableHead } from "../partials/forms.tsx";
import { HelpLink } from "../partials/help-link.tsx";
import { Time } from "../partials/time.tsx";

export interface LibraryModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  library: LibraryView;
  pools: { id: number; name: string }[];
}

/** The changers' slots and drives, and the latest changer orders; polled every 5 s. */
export function LibraryLive(props: { library: LibraryView }): SafeHtml {
  const { library } = props;
  return (
    <div id="library-live" hx-get="/partials/library" hx-trigger="every 5s" hx-swap="outerHTML">
      {library.changers.length === 0 ? (
        <p class="muted">
          No changer reported yet: enroll an agent with one (drive-agent detect lists them).
        </p>
      ) : null}
      {library.changers.map((changer) => (
        <section class="card">
          <h2>
            {changer.name} on {changer.agent}
          </h2>
          <p class="muted">
            Inventory as of <Time at={changer.lastSeenAt} />
          </p>
          <table>
            <TableHead columns={["Drive", "State", "Loaded", "TapeAlert"]} />
            <tbody>
              {changer.drives.map((d) => (
                <tr>
                  <td>
                    <a href={`/drives/${d.id}`}>{d.name}</a>
                  </td>
                  <td>{d.state}</td>
                  <td>{d.loaded ?? "empty"}</td>
                  <td>{d.alerts.length ? d.alerts.join(", ") : "none"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            Rebuild from this library: {String(changer.rebuild.scanned)} cartridge(s) scanned,{" "}
            {String(changer.rebuild.scanning)} scanning, {String(changer.rebuild.toScan)} to scan
            {changer.rebuild.incompleteSets
              ? `; ${changer.rebuild.incompleteSets} set(s) still miss a tape`
              : ""}
          </p>
          <table>
            <TableHead columns={["Slot", "Cartridge", "State", "Label / uses"]} />
            <tbody>
              {changer.slots.map((s) => (
                <tr class={s.importExport ? "mail-slot" : undefined}>
                  <td>
                    {s.slot}
                    {s.importExport ? " (mail)" : ""}
                  </td>
                  <td>{s.tape ? <a href={`/tapes/${s.tape.id}`}>{s.barcode}</a> : (s.barcode ?? "empty")}</td>
                  <td>{s.tape ? <span class={`badge state-${s.tape.state}`}>{s.tape.state}</span> : ""}</td>
                  <td>{s.tape?.cleaning ?? s.tape?.label ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <section class="card">
        <h2>Changer orders</h2>
        {library.orders.length === 0 ? (
          <p class="muted">No changer order yet: rescans, imports, moves and cleanings are listed here.</p>
        ) : null}
        <table hidden={library.orders.length === 0}>
          <TableHead columns={["Asked", "Operation", "Drive", "State", "Error"]} />
          <tbody>
            {library.orders.map((o) => (
              <tr>
                <td>
                  <Time at={o.createdAt} />
                </td>
                <td>{o.op}</td>
                <td>{o.drive ?? "–"}</td>
                <td>{o.state}</td>
                <td>{o.error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function Actions(props: {
  changer: LibraryView["changers"][number];
  pools: LibraryModel["pools"];
}): SafeHtml {
  const { changer, pools } = props;
  const result = `library-result-${changer.id}`;
  return (
    <section class="card">
      <h2>Operate {changer.name}</h2>
      <div class="stack">
        <form class="inline" hx-post={`/library/${changer.id}/operate`} hx-target={`#${result}`}>
          <input type="hidden" name="op" value="inventory" />
          <button type="submit">Rescan inventory</button>
        </form>
        <form class="inline" hx-post={`/library/${changer.id}/operate`} hx-target={`#${result}`}>
          <input type="hidden" name="op" value="import" />
          <button type="submit">Import from the mail slots</button>
        </form>
        <form class="inline" hx-post={`/library/${changer.id}/operate`} hx-target={`#${result}`}>
          <input type="hidden" name="op" value="transfer" />
          <label>
            Move slot <input name="from" inputmode="numeric" size="3" />
          </label>
          <label>
            to slot <input name="to" inputmode="numeric" size="3" />
          </label>
          <button type="submit">Move</button>
        </form>
        <form
          class="inline"
          hx-post={`/library/${changer.id}/label-blank`}
          hx-target={`#${result}`}
          hx-confirm="Label every blank cartridge of this changer into the pool? Cleaning cartridges and cartridges holding data are left out."
        >
          <label>
            Label every blank cartridge into
            <select name="poolId">
              {pools.map((p) => (
                <option value={String(p.id)}>{p.name}</option>
              ))}
            </select>
          </label>
          <button type="submit">Label all blank</button>
        </form>
        <form class="inline" hx-post={`/library/${changer.id}/export`} hx-target={`#${result}`}>
          <label>
            Export the tapes of
            <select name="poolId">
              {pools.map((p) => (
                <option value={String(p.id)}>{p.name}</option>
              ))}
            </select>
          </label>
          <label>
            to <input name="location" placeholder="vault, site B" required />
          </label>
          <button type="submit">Export to mail slots</button>
        </form>
        {changer.mediaSets.length > 0 ? (
          <form class="inline" hx-post={`/library/${changer.id}/export`} hx-target={`#${result}`}>
            <label>
              Export media set
              <select name="mediaSetId">
                {changer.mediaSets.map((m) => (
                  <option value={String(m.id)}>
                    #{m.id} ({pools.find((p) => p.id === m.poolId)?.name ?? "no pool"}: {m.tapes.join(", ")})
                  </option>
                ))}
              </select>
            </label>
            <label>
              to <input name="location" placeholder="vault, site B" required />
            </label>
            <button type="submit">Export media set</button>
          </form>
        ) : null}
        <form
          class="inline"
          hx-post={`/library/${changer.id}/rebuild`}
          hx-target={`#${result}`}
          hx-confirm="Scan every cartridge of this changer and add what the catalog lacks? Runs unattended; ask again to resume after an interruption."
        >
          <button type="submit">Rebuild catalog from this library</button>
        </form>
        <div id={result} aria-live="polite"></div>
      </div>
    </section>
  );
}

/** Changers: what is in each slot and drive, and what an operator can ask of the robot. */
export function LibraryPage(model: LibraryModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Library" current="/library">
      <h1>Library</h1>
      <p class="muted">
        Catalog lost? <HelpLink topic="catalogBackup">Restore the newest catalog backup</HelpLink>, or{" "}
        <HelpLink topic="disasterRecovery">rebuild the catalog from the tapes</HelpLink>.
      </p>
      {model.canOperate
        ? model.library.changers.map((changer) => <Actions changer={changer} pools={model.pools} />)
        : null}
      <LibraryLive library={model.library} />
    </Layout>
  );
}
