import { eq } from "drizzle-orm";
import { z } from "zod";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { activeSite } from "../sites/active-site.ts";
import { siteOf } from "../sites/site-of.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";
import { keyDependents } from "./key-dependents.ts";
import { toPublicKey } from "./to-public-key.ts";

export const bindKeySiteInput = z.object({
  /** The site whose pools and jobs may write with the key and whose users see it; null: every site. */
  siteId: z.number().int().positive().nullable(),
});

/**
 * Binds a key to one site (or frees it for every site). Refused while a pool or job elsewhere
 * writes with it, naming them, so no pool is left with a key it may not use. Sets already written
 * with it restore wherever their tapes are: the binding governs who sees the key and who writes
 * new sets with it, not restores.
 */
export async function bindKeySite(ctx: ServiceCtx, id: number, input: z.output<typeof bindKeySiteInput>) {
  const key = await getEncryptionKey(ctx, id);
  if (input.siteId !== null) {
    const site = await activeSite(ctx, input.siteId);
    const needs = await keyDependents(ctx, key);
    const poolsElsewhere = await ctx.db.query.pools.findMany({
      where: (p, { and, eq, or, isNull, ne }) =>
        and(eq(p.encryptionKeyId, key.id), or(isNull(p.siteId), ne(p.siteId, site.id))),
    });
    const jobsElsewhere: string[] = [];
    for (const job of needs.jobs)
      if ((await siteOf(ctx, "job", job.id)) !== site.id) jobsElsewhere.push(job.name);
    const writers = [
      ...poolsElsewhere.map((p) => `pool ${p.name}${p.siteId === null ? " (bound to no site)" : ""}`),
      ...jobsElsewhere.map((j) => `job ${j}`),
    ];
    if (writers.length > 0)
      throw conflict(
        `Key ${key.name} is written with outside site ${site.name} by ${writers.join(", ")}; give them another key first`,
      );
  }
  const [row] = await ctx.db
    .update(encryptionKeys)
    .set({ siteId: input.siteId })
    .where(eq(encryptionKeys.id, id))
    .returning();
  return toPublicKey(row ?? key);
}
