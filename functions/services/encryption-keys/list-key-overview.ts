import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { keyDependents } from "./key-dependents.ts";

/** Every key with the pools whose current key it is and how many retained sets need it. */
export async function listKeyOverview(ctx: ServiceCtx) {
  const rows = await ctx.db.query.encryptionKeys.findMany({ orderBy: encryptionKeys.id });
  return Promise.all(
    rows.map(async (k) => {
      const needs = await keyDependents(ctx, k);
      return {
        id: k.id,
        name: k.name,
        fingerprint: k.fingerprint,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
        pools: needs.pools.map((p) => p.name),
        sets: needs.sets.length,
      };
    }),
  );
}
