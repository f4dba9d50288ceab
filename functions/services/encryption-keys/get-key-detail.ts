import type { ServiceCtx } from "../../deps.ts";
import { notFound } from "../../errors.ts";
import { siteVisible } from "../sites/site-scope.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";
import { keyDependents } from "./key-dependents.ts";
import { toPublicKey } from "./to-public-key.ts";

/**
 * A key, and what needs it: the sets encrypted with it, the pools and jobs that write with it. A
 * site-scoped caller sees a key of their sites or an unbound one, and only their sites' dependents.
 */
export async function getKeyDetail(ctx: ServiceCtx, id: number) {
  const key = await getEncryptionKey(ctx, id);
  if (key.siteId !== null && !siteVisible(ctx, key.siteId)) throw notFound("Encryption key", id);
  const needs = await keyDependents(ctx, key);
  // A scoped caller sees part of the dependents and is never an admin: no retire or delete to offer.
  const whole = !ctx.sites;
  return {
    ...toPublicKey(key),
    ...needs,
    mayRetire: whole && !key.retiredAt && needs.sets.length + needs.pools.length + needs.jobs.length === 0,
    mayDelete: whole && !!key.retiredAt && needs.sets.length === 0,
  };
}
