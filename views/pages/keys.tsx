import { formatTime } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TableHead } from "../partials/forms.tsx";

export interface KeysModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canAdmin: boolean;
  keys: {
    id: number;
    name: string;
    fingerprint: string;
    createdAt: Date;
    retiredAt: Date | null;
    pools: string[];
    sets: number;
  }[];
}

/** Encryption keys: fingerprints, which pools write with them, and the key sheet to print. */
export function KeysPage(model: KeysModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Encryption keys" current="/keys">
      <section class="card">
        <h1>Encryption keys</h1>
        <p class="muted">
          A pool's sets are encrypted with its current key. Print a key sheet for each key and keep it with
          the tapes' passports: a tape, the sheet and the passphrase restore everything (
          <a href="/docs/tape-format">tape format</a>).
        </p>
        <table>
          <TableHead
            columns={["Key", "Fingerprint", "Created", "State", "Current key of", "Retained sets"]}
          />
          <tbody>
            {model.keys.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  <code class="wrap">{k.fingerprint}</code>
                </td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{k.retiredAt ? `retired ${formatTime(k.retiredAt)}` : "active"}</td>
                <td>{k.pools.join(", ") || "–"}</td>
                <td>{k.sets}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {model.keys.length === 0 ? <p class="muted">No key yet: rotate a pool's key to make one.</p> : null}
      </section>
      {model.canAdmin
        ? model.keys.map((k) => (
            <section class="card no-print">
              <h2>Key sheet for {k.name}</h2>
              <form
                hx-post={`/keys/${k.id}/sheet`}
                hx-target="#key-sheet"
                hx-swap="innerHTML"
                class="filters"
              >
                <label>
                  Passphrase (at least 12 characters; it is not stored)
                  <input
                    type="password"
                    name="passphrase"
                    required
                    minlength="12"
                    autocomplete="new-password"
                  />
                </label>
                <label>
                  Hint printed on the sheet
                  <input type="text" name="hint" maxlength="200" />
                </label>
                <label class="check">
                  <input type="checkbox" name="onTapes" />
                  Also write this wrapped key into every new set's TOC (a tape and the passphrase then restore
                  alone)
                </label>
                <button type="submit">Make the key sheet</button>
              </form>
            </section>
          ))
        : null}
      <div id="key-sheet" class="printable" aria-live="polite"></div>
    </Layout>
  );
}
