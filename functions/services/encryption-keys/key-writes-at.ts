import { eq } from "drizzle-orm";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";

/**
 * A key bound to a site writes only there (ADR 0017, addendum): refuses it for a pool or job at
 * another site, or for a pool bound to no site (its sets may be written anywhere). An unbound key
 * writes at any site.
 */
export async function checkKeyWritesAt(
  ctx: ServiceCtx,
  keyId: number,
  siteId: number | null,
  writer: string,
) {
  const key = await getEncryptionKey(ctx, keyId);
  if (key.siteId === null || key.siteId === siteId) return key;
  const bound = await ctx.db.query.sites.findFirst({ where: eq(sites.id, key.siteId) });
  throw conflict(
    `Key ${key.name} is bound to site ${bound?.name ?? key.siteId}; ${writer} ${
      siteId === null ? "is at no one site" : "is at another site"
    }, so it cannot write with it. Choose a key of its site or one bound to no site`,
  );
}
