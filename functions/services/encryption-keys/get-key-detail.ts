import type { ServiceCtx } from "../../deps.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";
import { keyDependents } from "./key-dependents.ts";
import { toPublicKey } from "./to-public-key.ts";

/** A key, and what needs it: the sets encrypted with it, the pools and jobs that write with it. */
export async function getKeyDetail(ctx: ServiceCtx, id: number) {
  const key = await getEncryptionKey(ctx, id);
  const needs = await keyDependents(ctx, key);
  return {
    ...toPublicKey(key),
    ...needs,
    mayRetire: !key.retiredAt && needs.sets.length + needs.pools.length + needs.jobs.length === 0,
    mayDelete: !!key.retiredAt && needs.sets.length === 0,
  };
}
