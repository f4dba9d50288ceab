import type { PoolOverview } from "../../functions/services/pools/pool-overview.ts";
import type { SiteChoice } from "../../functions/services/sites/sites-to-act-at.ts";
import { retentionInWords } from "../format.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { CapacityBar, TapeCapacityBar } from "../partials/capacity-bar.tsx";
import { Field, HxForm, TableHead } from "../partials/forms.tsx";
import { HelpLink } from "../partials/help-link.tsx";
import { SiteFilter } from "../partials/site-filter.tsx";
import { SiteSelect } from "../partials/site-select.tsx";
import { Time } from "../partials/time.tsx";

export interface PoolsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  canOperate: boolean;
  pools: PoolOverview[];
  /** The sites the viewer may filter by, and the one shown (null: every site). */
  sites?: { id: number; name: string }[];
  site?: number | null;
  /** The sites a new or edited pool may be bound to. */
  siteChoice: SiteChoice;
}

/** The retention and description of a pool, the same for a new pool and an edit. */
function PoolFields(props: { pool?: PoolOverview; siteChoice: SiteChoice }): SafeHtml {
  const keep = props.pool ? props.pool.retention === "keep" || !props.pool.allowReuse : false;
  const allocation = props.pool?.allocation ?? "continue";
  return (
    <div class="stack">
      <Field label="Name" name="name" required value={props.pool?.name} />
      <Field label="Description (optional)" name="description" value={props.pool?.description ?? undefined} />
      <SiteSelect
        label="Site (its tapes are there; no site: tapes at any site)"
        choice={props.siteChoice}
        selected={props.pool ? props.pool.siteId : undefined}
      />
      <fieldset>
        <legend>Retention</legend>
        <label class="check">
          <input type="radio" name="retention" value="reuse" checked={!keep} /> Reusable after a number of
          days from its last write
        </label>
        <label class="check">
          <input type="radio" name="retention" value="keep" checked={keep} /> Keep forever (never reused)
        </label>
        <Field
          label="Days after the last write"
          name="retentionDays"
          type="number"
          value={String(props.pool?.retentionDays ?? 30)}
        />
      </fieldset>
      <fieldset>
        <legend>Allocation: when a new media set starts</legend>
        <label class="check">
          <input type="radio" name="allocation" value="continue" checked={allocation === "continue"} />{" "}
          Continue the current media set until its tapes are full
        </label>
        <label class="check">
          <input type="radio" name="allocation" value="always" checked={allocation === "always"} /> A new
          media set every run
        </label>
        <label class="check">
          <input type="radio" name="allocation" value="calendar" checked={allocation === "calendar"} /> A new
          media set at the first run after a calendar event
        </label>
        <Field
          label='Calendar event (croner, e.g. "0 0 * * 1" for every Monday)'
          name="allocationCalendar"
          value={props.pool?.allocationCalendar ?? undefined}
        />
      </fieldset>
      <Field
        label="Accepted LTO generation (e.g. LTO-9; empty: any)"
        name="generation"
        value={props.pool?.generation ?? undefined}
      />
      <Field
        label="Accepted barcode prefix (empty: any)"
        name="barcodePrefix"
        value={props.pool?.barcodePrefix ?? undefined}
      />
      <fieldset>
        <legend>Offsite rotation: which media sets leave the library once closed</legend>
        {(
          [
            ["none", "None: media sets stay in the library"],
            ["closed", "Every closed media set"],
            ["closed-with-full", "Closed media sets holding a full backup"],
          ] as const
        ).map(([value, words]) => (
          <label class="check">
            <input
              type="radio"
              name="offsiteRotation"
              value={value}
              checked={(props.pool?.offsiteRotation ?? "none") === value}
            />{" "}
            {words}
          </label>
        ))}
        <Field
          label="Days offsite before it is asked back (empty: when its retention ends)"
          name="offsiteReturnDays"
          type="number"
          value={props.pool?.offsiteReturnDays ? String(props.pool.offsiteReturnDays) : ""}
        />
      </fieldset>
      <Field
        label="Pre-flight lead time (minutes before a scheduled run)"
        name="preflightLeadMinutes"
        type="number"
        value={String(props.pool?.preflightLeadMinutes ?? 360)}
      />
    </div>
  );
}

function PoolCard(props: { pool: PoolOverview; canOperate: boolean; siteChoice: SiteChoice }): SafeHtml {
  const { pool } = props;
  return (
    <section class="card" id={`pool-${pool.id}`}>
      <h2>{pool.name}</h2>
      {pool.description ? <p>{pool.description}</p> : null}
      <p>
        Site: <strong class="pool-site">{pool.site?.name ?? "any"}</strong> · Retention:{" "}
        <strong>{retentionInWords(pool)}</strong> · {pool.tapes.length} tape
        {pool.tapes.length === 1 ? "" : "s"} · <a href="/retention">retention calendar</a>
        {pool.tapes.length > 0 ? (
          <span>
            {" "}
            · <a href={`/pools/${pool.id}/passports`}>print the tapes' passports</a>
          </span>
        ) : null}
      </p>
      <ul>
        <li>{pool.policyWords.allocation}</li>
        <li>{pool.policyWords.retention}</li>
        <li>{pool.policyWords.accepts}</li>
        <li>{pool.policyWords.offsite}</li>
      </ul>
      {pool.rotation.length > 0 ? (
        <div class="rotation">
          <h3>Offsite rotation: to do now</h3>
          <ul>
            {pool.rotation.map((r) => (
              <li>
                {r.text}
                {r.direction === "out" ? (
                  <>
                    {" "}
                    (<a href={`/media-sets/${r.mediaSetId}/passports`}>print their passports</a> to go with
                    them)
                  </>
                ) : null}
                {props.canOperate ? (
                  <HxForm
                    action={`/media-sets/${r.mediaSetId}/location`}
                    id={`rotate-${r.direction}-${r.mediaSetId}`}
                    submit={r.direction === "out" ? "Mark offsite" : "Mark returned"}
                  >
                    <input type="hidden" name="to" value={r.direction === "out" ? "offsite" : "returned"} />
                    {r.direction === "out" ? <Field label="Location" name="location" required /> : null}
                  </HxForm>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {pool.tapes.length > 0
        ? CapacityBar({
            label: `Pool ${pool.name}`,
            used: pool.usedBytes,
            capacity: pool.capacityBytes || null,
            nominal: pool.capacityNominal,
          })
        : null}
      {pool.tapesOfUnknownCapacity > 0 && pool.capacityBytes > 0 ? (
        <p class="muted">
          {pool.tapesOfUnknownCapacity} tape{pool.tapesOfUnknownCapacity === 1 ? "" : "s"} of unknown capacity
          not counted.
        </p>
      ) : null}
      {pool.tapes.length === 0 ? (
        <p class="muted">
          No tape in this pool yet: label one into it on <a href="/tapes">Tapes</a>.
        </p>
      ) : (
        <table>
          <TableHead columns={["Tape", "State", "Media set", "Used", "Last written"]} />
          <tbody>
            {pool.tapes.map((t) => (
              <tr>
                <td>
                  <a href={`/tapes/${t.id}`}>{t.barcode}</a>
                </td>
                <td>
                  <span class={`badge state-${t.state}`}>{t.state}</span>
                  {(t.state === "offsite" || t.state === "exported") && t.location ? ` at ${t.location}` : ""}
                </td>
                <td>{t.mediaSetId === null ? "none" : `#${t.mediaSetId}`}</td>
                <td>{TapeCapacityBar(t)}</td>
                <td>
                  <Time at={t.lastWrittenAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.canOperate ? (
        <details>
          <summary>Edit pool {pool.name}</summary>
          <HxForm action={`/pools/${pool.id}`} id={`edit-pool-${pool.id}`} submit="Save pool">
            <PoolFields pool={pool} siteChoice={props.siteChoice} />
          </HxForm>
        </details>
      ) : null}
    </section>
  );
}

/** Pools: where tapes are grouped, how long what is on them is kept, and how full they are. */
export function PoolsPage(model: PoolsModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Pools" current="/pools">
      <h1>Pools</h1>
      <p class="muted">
        A pool groups the tapes a job writes to. Its retention says when a tape may be written over again (
        <HelpLink topic="mediaSets">pools, media sets and retention</HelpLink>).
      </p>
      <SiteFilter action="/pools" sites={model.sites ?? []} current={model.site ?? null} />
      {model.pools.length === 0 ? <p class="muted">No pool yet.</p> : null}
      {model.pools.map((pool) =>
        PoolCard({ pool, canOperate: model.canOperate, siteChoice: model.siteChoice }),
      )}
      {model.canOperate ? (
        <section class="card">
          <h2>New pool</h2>
          <HxForm action="/pools" id="new-pool" submit="Create pool">
            <PoolFields siteChoice={model.siteChoice} />
          </HxForm>
        </section>
      ) : null}
    </Layout>
  );
}
