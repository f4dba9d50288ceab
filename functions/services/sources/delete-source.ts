import { count, eq } from "drizzle-orm";
import { jobs, sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getSource } from "./get-source.ts";

export async function deleteSource(ctx: ServiceCtx, id: number) {
  const source = await getSource(ctx, id);
  const [used] = await ctx.db.select({ n: count() }).from(jobs).where(eq(jobs.sourceId, id));
  if ((used?.n ?? 0) > 0)
    throw conflict(`Source ${source.name} is used by ${used?.n} job(s); change or delete them first`);
  await ctx.db.delete(sources).where(eq(sources.id, id));
  return source;
}
