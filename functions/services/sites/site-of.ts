import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { ServiceCtx } from "../../deps.ts";

/** The kinds of object whose site a route's permission is checked against. */
export const SITE_OBJECTS = [
  "site",
  "agent",
  "drive",
  "changer",
  "tape",
  "pool",
  "source",
  "job",
  "run",
  "set",
  "media-set",
  "guest-backup",
  "encryption-key",
] as const;
export type SiteObject = (typeof SITE_OBJECTS)[number];

/**
 * One SQL expression per kind, evaluated against the object's id: where it is. A job is where its
 * source's agent is; a run where its agent is (else its job); a set where its tapes are now (else
 * where its job runs), so a set whose tapes moved to site B is restored by site B.
 */
const SITE_SQL: Record<SiteObject, (id: SQL) => SQL> = {
  site: (id) => sql`select id from sites where id = ${id}`,
  agent: (id) => sql`select site_id from agents where id = ${id}`,
  drive: (id) => sql`select a.site_id from drives d join agents a on a.id = d.agent_id where d.id = ${id}`,
  changer: (id) =>
    sql`select a.site_id from changers c join agents a on a.id = c.agent_id where c.id = ${id}`,
  tape: (id) => sql`select site_id from tapes where id = ${id}`,
  pool: (id) => sql`select site_id from pools where id = ${id}`,
  source: (id) => sql`select a.site_id from sources s join agents a on a.id = s.agent_id where s.id = ${id}`,
  job: (id) =>
    sql`select a.site_id from jobs j join sources s on s.id = j.source_id join agents a on a.id = s.agent_id where j.id = ${id}`,
  run: (id) =>
    sql`select coalesce((select site_id from agents where id = r.agent_id), (${SITE_SQL.job(sql`r.job_id`)})) from job_runs r where r.id = ${id}`,
  set: (id) =>
    sql`select coalesce((select t.site_id from backup_set_segments g join tapes t on t.id = g.tape_id where g.set_id = b.id and t.site_id is not null order by g.sequence limit 1), (${SITE_SQL.job(sql`b.job_id`)})) from backup_sets b where b.id = ${id}`,
  "media-set": (id) =>
    sql`select coalesce((select site_id from tapes where media_set_id = m.id and site_id is not null limit 1), p.site_id) from media_sets m join pools p on p.id = m.pool_id where m.id = ${id}`,
  "guest-backup": (id) =>
    sql`select coalesce((${SITE_SQL.set(sql`g.set_id`)}), (${SITE_SQL.source(sql`g.source_id`)})) from guest_backups g where g.id = ${id}`,
  "encryption-key": (id) => sql`select site_id from encryption_keys where id = ${id}`,
};

/**
 * Kinds whose object at no site belongs to every site (ADR 0017, addendum): a key bound to no site
 * is the hub's shared key, which any site's operators see and write with.
 */
export const SHARED_WHEN_UNBOUND: ReadonlySet<SiteObject> = new Set(["encryption-key"]);

/** Where an object is: its site id, null when it is at no site, undefined when it does not exist. */
export async function siteOf(
  ctx: ServiceCtx,
  kind: SiteObject,
  id: string | number,
): Promise<number | null | undefined> {
  const rows = await ctx.db.all<{ site: number | null }>(
    sql`select (${SITE_SQL[kind](sql`${id}`)}) as site, exists(${existsSql(kind, id)}) as found`,
  );
  const row = rows[0] as { site: number | null; found: number } | undefined;
  if (!row?.found) return undefined;
  return row.site === null ? null : Number(row.site);
}

const TABLE: Record<SiteObject, string> = {
  site: "sites",
  agent: "agents",
  drive: "drives",
  changer: "changers",
  tape: "tapes",
  pool: "pools",
  source: "sources",
  job: "jobs",
  run: "job_runs",
  set: "backup_sets",
  "media-set": "media_sets",
  "guest-backup": "guest_backups",
  "encryption-key": "encryption_keys",
};

function existsSql(kind: SiteObject, id: string | number): SQL {
  return sql`select 1 from ${sql.identifier(TABLE[kind])} where id = ${id}`;
}

/**
 * The site of each row of a select, as a correlated expression on its id column. Only for kinds
 * whose SQL aliases its own tables (so the outer table's name still means the outer row).
 */
export function siteOfRow(
  kind: "drive" | "source" | "job" | "run" | "set",
  id: SQLiteColumn,
): SQL<number | null> {
  return sql<number | null>`(${SITE_SQL[kind](sql`${id}`)})`;
}

/** The ids of the objects of a kind whose site is one of `sites` (a SQL list), for a list's where. */
export function idsAtSites(kind: SiteObject, sites: SQL): SQL {
  return sql`select x.id from ${sql.identifier(TABLE[kind])} x where (${SITE_SQL[kind](sql`x.id`)}) in (${sites})`;
}
