import { isNull, or, type SQL } from "drizzle-orm";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhere } from "../sites/site-scope.ts";

/**
 * The keys a caller sees: a site-scoped user those bound to their sites plus the unbound ones
 * (the hub's shared keys, as unbound pools are); everyone else all of them.
 */
export function visibleKeys(ctx: ServiceCtx): SQL | undefined {
  const at = siteWhere(ctx, { column: encryptionKeys.siteId }, undefined);
  return at ? or(at, isNull(encryptionKeys.siteId)) : undefined;
}
