import type { PoolCalendar } from "../../functions/services/retention/retention-calendar.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { TapeCapacityBar } from "../partials/capacity-bar.tsx";
import { TableHead } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

export interface RetentionModel {
  layout: Omit<LayoutModel, "title" | "current">;
  pools: PoolCalendar[];
}

function PoolSection(props: { pool: PoolCalendar }): SafeHtml {
  const { pool } = props;
  return (
    <section class="card" id={`retention-pool-${pool.id}`}>
      <h2>{pool.name}</h2>
      <ul>
        <li>{pool.policy.allocation}</li>
        <li>{pool.policy.retention}</li>
        <li>{pool.policy.accepts}</li>
      </ul>
      {pool.warnings.map((w) => (
        <p class={`alert warning ${w.kind}`}>{w.text}</p>
      ))}
      <h3>Media sets</h3>
      {pool.mediaSets.length === 0 ? (
        <p class="muted">No media set yet: the first backup starts one.</p>
      ) : (
        <table>
          <TableHead
            columns={["Media set", "State", "Started", "Last write", "Retained until", "Sets", "Tapes"]}
          />
          <tbody>
            {pool.mediaSets.map((m) => (
              <tr>
                <td>
                  #{m.id}
                  {m.tapes.length > 0 ? (
                    <>
                      {" "}
                      (<a href={`/media-sets/${m.id}/passports`}>passports</a>)
                    </>
                  ) : null}
                </td>
                <td>{m.state}</td>
                <td>
                  <Time at={m.startedAt} />
                </td>
                <td>
                  <Time at={m.lastWrittenAt} />
                </td>
                <td>
                  {m.state === "open" ? (
                    "open: from its last write"
                  ) : m.expiresAt ? (
                    <Time at={m.expiresAt} />
                  ) : (
                    "forever"
                  )}
                </td>
                <td>{m.sets}</td>
                <td>{m.tapes.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Tapes</h3>
      {pool.tapes.length === 0 ? (
        <p class="muted">
          No tape in this pool yet: label one into it on <a href="/tapes">Tapes</a>.
        </p>
      ) : (
        <table>
          <TableHead columns={["Tape", "State", "Used", "When reusable"]} />
          <tbody>
            {pool.tapes.map((t) => (
              <tr>
                <td>
                  <a href={`/tapes/${t.id}`}>{t.barcode}</a>
                </td>
                <td>
                  <span class={`badge state-${t.state}`}>{t.state}</span>
                </td>
                <td>{TapeCapacityBar(t)}</td>
                <td>{t.words}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The retention calendar: per pool and tape, when it becomes reusable and what keeps it. */
export function RetentionPage(model: RetentionModel): SafeHtml {
  return (
    <Layout {...model.layout} title="Retention" current="/pools">
      <h1>Retention calendar</h1>
      <p class="muted">
        A media set is kept for its pool's retention, counted from its last write. A tape is reused only when
        no retained set, incremental chain or spanning set depends on it.
      </p>
      {model.pools.length === 0 ? <p class="muted">No pool yet.</p> : null}
      {model.pools.map((pool) => PoolSection({ pool }))}
    </Layout>
  );
}
