import { count } from "drizzle-orm";
import { jobs, pools, sources, tapes } from "../db/schema/index.ts";
import type { ServiceCtx } from "../deps.ts";

export async function getDashboardCounts(ctx: ServiceCtx) {
  const total = (table: typeof tapes | typeof pools | typeof jobs | typeof sources) =>
    ctx.db.select({ n: count() }).from(table);
  const [[t], [p], [j], [s]] = await Promise.all([total(tapes), total(pools), total(jobs), total(sources)]);
  return { tapes: t?.n ?? 0, pools: p?.n ?? 0, jobs: j?.n ?? 0, sources: s?.n ?? 0 };
}
