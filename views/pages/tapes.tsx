import type { SiteChoice } from "../../functions/services/sites/sites-to-act-at.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TapeCapacityBar } from "../partials/capacity-bar.tsx";
import { Field, HxForm, Select, TableHead } from "../partials/forms.tsx";
import { SiteFilter } from "../partials/site-filter.tsx";
import { SiteSelect } from "../partials/site-select.tsx";
import { Time } from "../partials/time.tsx";

export interface TapeRow {
  id: number;
  barcode: string;
  label: string | null;
  state: string;
  poolId: number | null;
  usedBytes: number;
  /** Native capacity, as an agent reported it, else its LTO generation's; null when neither is known. */
  capacityBytes: number | null;
  /** The capacity is the LTO generation's published figure, not the cartridge's own. */
  capacityNominal?: boolean;
  lastWrittenAt: Date | null;
  location: string | null;
}

export interface TapesModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  tapes: TapeRow[];
  pools: { id: number; name: string }[];
  filter: {
    poolId?: number | undefined;
    state?: string | undefined;
    barcode?: string | undefined;
    site?: number | undefined;
  };
  /** The sites the viewer may filter by (none: no select). */
  sites?: { id: number; name: string }[];
  /** The sites a new tape may be registered at. */
  siteChoice: SiteChoice;
  states: readonly string[];
  nextCursor: number | null;
}

export function TapesPage(model: TapesModel): SafeHtml {
  const poolName = new Map(model.pools.map((p) => [p.id, p.name]));
  const poolOptions = model.pools.map((p) => ({ value: String(p.id), label: p.name }));
  return (
    <Layout {...model.layout} title="Tapes" current="/tapes">
      <h1>Tapes</h1>
      <SiteFilter
        action="/tapes"
        sites={model.sites ?? []}
        current={model.filter.site ?? null}
        keep={{ poolId: model.filter.poolId, state: model.filter.state, barcode: model.filter.barcode }}
      />
      <form class="filters" method="get" action="/tapes">
        {model.filter.site ? <input type="hidden" name="site" value={String(model.filter.site)} /> : null}
        <Select
          label="Pool"
          name="poolId"
          options={[{ value: "", label: "any" }, ...poolOptions]}
          selected={model.filter.poolId ? String(model.filter.poolId) : ""}
        />
        <Select
          label="State"
          name="state"
          options={[{ value: "", label: "any" }, ...model.states.map((s) => ({ value: s, label: s }))]}
          selected={model.filter.state ?? ""}
        />
        <Field label="Barcode" name="barcode" value={model.filter.barcode ?? ""} />
        <button type="submit">Filter</button>
      </form>
      <section class="card">
        <table>
          <TableHead
            columns={[
              "Barcode",
              "Label",
              "Pool",
              "State",
              "Used",
              "Last written",
              model.canOperate && "Actions",
            ]}
          />
          <tbody>
            {model.tapes.map((t) => (
              <tr id={`tape-${t.id}`}>
                <td>
                  <a href={`/tapes/${t.id}`}>{t.barcode}</a>
                </td>
                <td>{t.label ?? "–"}</td>
                <td>{t.poolId ? (poolName.get(t.poolId) ?? "–") : "–"}</td>
                <td>
                  <span class={`badge state-${t.state}`}>{t.state}</span>
                </td>
                <td>{TapeCapacityBar(t)}</td>
                <td>
                  <Time at={t.lastWrittenAt} />
                </td>
                {model.canOperate && t.label ? (
                  <td>
                    <a href={`/tapes/${t.id}#relabel`}>Relabel…</a>
                  </td>
                ) : model.canOperate ? (
                  <td>
                    <form
                      class="inline"
                      hx-post={`/tapes/${t.id}/label`}
                      hx-target={`#tape-${t.id}-result`}
                      hx-confirm={`Write a new label on ${t.barcode}? Whatever is on the cartridge now is overwritten.`}
                    >
                      <select name="poolId" aria-label={`Pool for ${t.barcode}`}>
                        {model.pools.map((p) => (
                          <option value={String(p.id)} selected={p.id === t.poolId}>
                            {p.name}
                          </option>
                        ))}
                      </select>
                      <button type="submit">Label</button>
                      <span id={`tape-${t.id}-result`}></span>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {model.tapes.length === 0 ? <p class="muted">No tape matches.</p> : null}
        {model.nextCursor ? <a href={nextPage(model.filter, model.nextCursor)}>Next page</a> : null}
      </section>
      {model.canOperate ? (
        <section class="card">
          <h2>Register a tape</h2>
          <HxForm action="/tapes" id="new-tape" submit="Register">
            <Field label="Barcode" name="barcode" required />
            <Select label="Pool" name="poolId" options={[{ value: "", label: "none" }, ...poolOptions]} />
            <SiteSelect label="Site (where the cartridge is)" choice={model.siteChoice} />
          </HxForm>
        </section>
      ) : null}
    </Layout>
  );
}

/** The next page of the same filters. */
function nextPage(filter: TapesModel["filter"], cursor: number): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filter))
    if (value != null && value !== "") query.set(name, String(value));
  query.set("cursor", String(cursor));
  return `/tapes?${query}`;
}
