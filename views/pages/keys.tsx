import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { HxForm, Select, TableHead } from "../partials/forms.tsx";
import { HelpLink } from "../partials/help-link.tsx";
import { Time } from "../partials/time.tsx";

export interface KeysModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canAdmin: boolean;
  keys: {
    id: number;
    name: string;
    fingerprint: string;
    createdAt: Date;
    retiredAt: Date | null;
    /** The site whose pools and jobs write with it; null: every site. */
    siteId: number | null;
    pools: string[];
    sets: number;
  }[];
  /** The sites the viewer knows, for the key's site and (for an admin) binding it. */
  sites: { id: number; name: string; retiredAt?: Date | null }[];
  /** The pools an admin may give a new key. */
  pools: { id: number; name: string }[];
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
          <a href="/docs/tape-format">tape format</a>,{" "}
          <HelpLink topic="keys">keys, key sheets and passports</HelpLink>
          ).
        </p>
        <table>
          <TableHead
            columns={[
              "Key",
              "Site",
              "Fingerprint",
              "Created",
              "State",
              "Current key of",
              "Retained sets",
              model.canAdmin && "Actions",
            ]}
          />
          <tbody>
            {model.keys.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  {k.siteId === null
                    ? "every site"
                    : (model.sites.find((s) => s.id === k.siteId)?.name ?? "–")}
                </td>
                <td>
                  <code class="wrap">{k.fingerprint}</code>
                </td>
                <td>
                  <Time at={k.createdAt} />
                </td>
                <td>
                  {k.retiredAt ? (
                    <>
                      retired <Time at={k.retiredAt} />
                    </>
                  ) : (
                    "active"
                  )}
                </td>
                <td>{k.pools.join(", ") || "–"}</td>
                <td>{k.sets}</td>
                {model.canAdmin ? (
                  <td>
                    {k.retiredAt ? (
                      <button
                        type="button"
                        hx-post={`/keys/${k.id}/delete`}
                        hx-target="#key-action-result"
                        hx-confirm={`Delete key ${k.name}? Sets encrypted with it become unreadable for good.`}
                      >
                        Delete
                      </button>
                    ) : (
                      <button
                        type="button"
                        hx-post={`/keys/${k.id}/retire`}
                        hx-target="#key-action-result"
                        hx-confirm={`Retire key ${k.name}? No new set will use it; its sets still restore.`}
                      >
                        Retire
                      </button>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {model.keys.length === 0 ? <p class="muted">No key yet: rotate a pool's key to make one.</p> : null}
        <div id="key-action-result" aria-live="polite"></div>
        {model.canAdmin && model.pools.length > 0 ? (
          <p class="actions">
            Rotate a pool's key (its next sets use a new key, old sets keep theirs):{" "}
            {model.pools.map((p) => (
              <button
                type="button"
                hx-post={`/pools/${p.id}/rotate-key`}
                hx-target="#key-action-result"
                hx-confirm={`Give pool ${p.name} a new key?`}
              >
                {p.name}
              </button>
            ))}
          </p>
        ) : null}
      </section>
      {model.canAdmin && model.keys.length > 0 ? <KeySites {...model} /> : null}
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

/** A key bound to a site is seen and written with there only; unbound keys serve every site. */
function KeySites(model: KeysModel): SafeHtml {
  const options = [
    { value: "", label: "every site" },
    ...model.sites.filter((s) => !s.retiredAt).map((s) => ({ value: String(s.id), label: s.name })),
  ];
  return (
    <section class="card no-print" id="key-sites">
      <h2>Where each key is used</h2>
      <p class="muted">
        A key bound to a site is listed to that site's operators only, and only that site's pools and jobs
        write with it; a key bound to no site serves every site. Sets already written restore wherever their
        tapes are.
      </p>
      {model.keys.map((k) => (
        <HxForm action={`/keys/${k.id}/site`} id={`key-site-${k.id}`} submit={`Bind ${k.name}`}>
          <Select
            label={`Site of ${k.name}`}
            name="siteId"
            options={options}
            selected={k.siteId === null ? "" : String(k.siteId)}
          />
        </HxForm>
      ))}
    </section>
  );
}
