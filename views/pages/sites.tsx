import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, TableHead } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

export interface SitesModel {
  layout: Omit<LayoutModel, "title" | "current">;
  isAdmin: boolean;
  sites: {
    id: number;
    name: string;
    timeZone: string | null;
    contact: string | null;
    notes: string | null;
    retiredAt: Date | null;
  }[];
}

/** The sites: where agents, drives and tapes are, and the zone their schedules read in. */
export function SitesPage(model: SitesModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Sites" current="/sites">
      <h1>Sites</h1>
      <section class="card">
        {model.sites.length === 0 ? (
          <p class="muted">No site yet: every agent, drive and tape is simply on this hub.</p>
        ) : (
          <table id="sites">
            <TableHead
              columns={["Site", "Time zone", "Contact", "Notes", "State", model.isAdmin && "Change"]}
            />
            <tbody>
              {model.sites.map((s) => (
                <tr data-site={String(s.id)}>
                  <td>
                    <a href={`/?site=${s.id}`}>{s.name}</a>
                  </td>
                  <td>{s.timeZone ?? "the hub's zone"}</td>
                  <td>{s.contact ?? "–"}</td>
                  <td>{s.notes ?? "–"}</td>
                  <td>{s.retiredAt ? <span>retired {Time({ at: s.retiredAt })}</span> : "in use"}</td>
                  {model.isAdmin ? (
                    <td>
                      {s.retiredAt ? null : (
                        <details>
                          <summary>Change</summary>
                          <HxForm action={`/sites/${s.id}`} id={`site-${s.id}`} submit="Save">
                            <Field label="Name" name="name" value={s.name} required />
                            <Field label="Time zone" name="timeZone" value={s.timeZone ?? ""} />
                            <Field label="Contact" name="contact" value={s.contact ?? ""} />
                            <Field label="Notes" name="notes" value={s.notes ?? ""} />
                          </HxForm>
                          <HxForm
                            action={`/sites/${s.id}/retire`}
                            id={`retire-${s.id}`}
                            submit="Retire site"
                            confirm={`Retire site ${s.name}? It takes no new agent, tape, pool or job from then on, and a retired site cannot be brought back; its history (tapes moved out, audit rows, events) stays.`}
                          />
                        </details>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {model.isAdmin ? (
        <section class="card">
          <h2>New site</h2>
          <HxForm action="/sites" id="new-site" submit="Create site">
            <Field label="Name" name="name" required />
            <Field label="Time zone (IANA, e.g. Europe/Berlin; empty: the hub's)" name="timeZone" />
            <Field label="Contact" name="contact" />
            <Field label="Notes" name="notes" />
          </HxForm>
        </section>
      ) : null}
    </Layout>
  );
}
