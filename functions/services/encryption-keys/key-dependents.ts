import { and, eq, inArray, ne } from "drizzle-orm";
import { backupSetSegments, backupSets, jobs, pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhere, siteWhereOrUnbound } from "../sites/site-scope.ts";

/** Tape states whose data nobody keeps any more: a set only on such tapes needs no key. */
const GONE_TAPE_STATES = ["expired", "retired"] as const;

export type KeyDependents = {
  /** Sets encrypted with the key that are still retained (on a tape not expired or retired). */
  sets: { id: number; uuid: string; job: string | null; barcodes: string[] }[];
  /** Pools whose current key it is: their next sets would use it. */
  pools: { id: number; name: string }[];
  /** Jobs that name the key themselves (jobs of a pool without a key). */
  jobs: { id: number; name: string }[];
};

/**
 * What still needs a key: retire and delete refuse while anything does, and name it. A site-scoped
 * caller (who may not retire) learns of their sites' sets, pools and jobs only.
 */
export async function keyDependents(ctx: ServiceCtx, key: { id: number; fingerprint: string }) {
  const sets = await ctx.db
    .select({ id: backupSets.id, uuid: backupSets.uuid, job: jobs.name })
    .from(backupSets)
    .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
    .where(
      and(
        eq(backupSets.encryptionKeyFingerprint, key.fingerprint),
        ne(backupSets.state, "failed"),
        siteWhere(ctx, { kind: "set", id: backupSets.id }, undefined),
      ),
    )
    .orderBy(backupSets.id);
  const segments =
    sets.length === 0
      ? []
      : await ctx.db
          .select({ setId: backupSetSegments.setId, barcode: tapes.barcode, state: tapes.state })
          .from(backupSetSegments)
          .innerJoin(tapes, eq(tapes.id, backupSetSegments.tapeId))
          .where(
            inArray(
              backupSetSegments.setId,
              sets.map((s) => s.id),
            ),
          );
  const retained = sets.flatMap((set) => {
    const mine = segments.filter((s) => s.setId === set.id);
    const kept = mine.filter((s) => !(GONE_TAPE_STATES as readonly string[]).includes(s.state));
    // A set with no segment yet is being written: it needs its key as much as a kept one.
    if (mine.length > 0 && kept.length === 0) return [];
    return [{ ...set, barcodes: [...new Set(kept.map((s) => s.barcode))] }];
  });
  return {
    sets: retained,
    pools: await ctx.db
      .select({ id: pools.id, name: pools.name })
      .from(pools)
      .where(and(eq(pools.encryptionKeyId, key.id), siteWhereOrUnbound(ctx, pools.siteId))),
    jobs: await ctx.db
      .select({ id: jobs.id, name: jobs.name })
      .from(jobs)
      .where(
        and(
          eq(jobs.encryptionKeyId, key.id),
          eq(jobs.encryption, "aes-256-gcm"),
          siteWhere(ctx, { kind: "job", id: jobs.id }, undefined),
        ),
      ),
  } satisfies KeyDependents;
}

/** The dependents in words, for a refusal: "sets #3 (Tree, on L00001), #4 ...; pool Vault". */
export function describeDependents(d: KeyDependents): string {
  const parts: string[] = [];
  if (d.sets.length > 0)
    parts.push(
      `retained set(s) ${d.sets
        .slice(0, 20)
        .map(
          (s) => `#${s.id} (${s.job ?? "no job"}${s.barcodes.length ? `, on ${s.barcodes.join(" ")}` : ""})`,
        )
        .join(", ")}${d.sets.length > 20 ? ` and ${d.sets.length - 20} more` : ""}`,
    );
  if (d.pools.length > 0)
    parts.push(`pool(s) ${d.pools.map((p) => p.name).join(", ")} (rotate their key first)`);
  if (d.jobs.length > 0) parts.push(`job(s) ${d.jobs.map((j) => j.name).join(", ")}`);
  return parts.join("; ");
}
