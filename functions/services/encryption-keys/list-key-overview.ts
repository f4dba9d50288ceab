import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhereOrUnbound } from "../sites/site-scope.ts";
import { keyDependents } from "./key-dependents.ts";

/**
 * Every key the caller sees, with its site, the pools whose current key it is and how many
 * retained sets need it (of the caller's sites, for a site-scoped caller).
 */
export async function listKeyOverview(ctx: ServiceCtx) {
  const rows = await ctx.db.query.encryptionKeys.findMany({
    where: siteWhereOrUnbound(ctx, encryptionKeys.siteId),
    orderBy: encryptionKeys.id,
  });
  return Promise.all(
    rows.map(async (k) => {
      const needs = await keyDependents(ctx, k);
      return {
        id: k.id,
        name: k.name,
        fingerprint: k.fingerprint,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
        siteId: k.siteId,
        pools: needs.pools.map((p) => p.name),
        sets: needs.sets.length,
      };
    }),
  );
}
