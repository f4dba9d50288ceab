import { eq } from "drizzle-orm";
import { z } from "zod";
import type { RestoreOrderBody } from "../../../contracts/agent-protocol.ts";
import { backupSets, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { catalogPath } from "../catalog/paths.ts";
import { planRestoreParts } from "../catalog/restore-plan.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { queueReadRun } from "./queue-read-run.ts";
import {
  keyOfSet,
  namedDrive,
  orderSet,
  orderTapes,
  refuseOtherSite,
  type SetRow,
} from "./read-order-parts.ts";

export const startRestoreInput = z.object({
  /** The tree as of this set (its chain merged), or of the job's newest complete set at asOf. */
  setId: z.number().int().positive().optional(),
  jobId: z.number().int().positive().optional(),
  paths: z.array(catalogPath).max(10_000).default([]),
  asOf: z.coerce.date().optional(),
  /** Absolute directory on the agent's host; files land below it, never outside. */
  destination: z
    .string()
    .max(4096)
    .refine((p) => p.startsWith("/"), "must be an absolute path")
    .refine((p) => !p.split("/").includes(".."), "must not contain '..'"),
  overwrite: z.enum(["skip", "overwrite", "rename"]).default("skip"),
  driveId: z.number().int().positive().optional(),
  /** Restore on this agent (a host at the site the set's tapes were moved to); default: at the tape's site. */
  agentId: z.uuid().optional(),
});

/**
 * Turns a restore plan into a run and a work order for a drive that can reach the first tape
 * (the one holding it, one of its changer, or the drive the operator named); while none can, or
 * another run holds the tape, the run waits for it. A point-in-time restore over a chain is
 * still one order: it reads the sets in turn.
 */
export async function startRestore(
  ctx: ServiceCtx,
  input: z.output<typeof startRestoreInput>,
  triggeredBy: string,
  /** A guest restore (services/guests/start-guest-restore.ts): where the archive goes, which members feed it. */
  guest?: { spec: NonNullable<RestoreOrderBody["guest"]>; only: (path: string) => boolean },
) {
  const { plan, parts } = await planRestoreParts(ctx, input);
  const set = getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, plan.set.id) }),
    "Backup set",
    plan.set.id,
  );
  if (!set.jobId)
    throw conflict(`Set ${set.id} belongs to no job; restore it with drive-agent restore on the tape host`);
  const empty = parts.find((p) => p.tapes.length === 0);
  if (plan.tapes.length === 0 || empty)
    throw conflict(`Set ${empty?.set.id ?? set.id} has no tape the catalog knows; scan its tapes first`);
  const firstBarcode = plan.tapes[0]?.barcode as string;
  const first = getOrThrow(
    await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, firstBarcode) }),
    "Tape",
    firstBarcode,
  );
  if (input.driveId) await namedDrive(ctx, first, input.driveId);
  if (input.agentId) await refuseOtherSite(ctx, first, input.agentId);
  const key = await keyOfChain(
    ctx,
    parts.map((p) => p.set),
  );
  // One order reads every set of the chain in turn: one run, one set of totals, one drive.
  const orderParts = await Promise.all(
    parts.map(async (part) => ({
      set: orderSet(part.set),
      files: part.entries
        .map((e) => ({
          path: e.dir ? `${e.dir}/${e.name}` : e.name,
          type: e.type,
          size: e.size,
          sha256: e.sha256,
          offset: e.offset,
          segment: e.segment,
        }))
        .filter((f) => !guest || guest.only(f.path))
        .sort((a, b) => a.offset - b.offset),
      tapes: await orderTapes(ctx, part.tapes),
    })),
  );
  const [head, ...more] = orderParts;
  if (!head) throw new Error("a restore plan without a set");
  const body: Omit<RestoreOrderBody, "drive" | "runId"> = {
    kind: "restore",
    ...head,
    ...(more.length > 0 ? { more } : {}),
    destination: input.destination,
    ...(guest ? { guest: guest.spec } : {}),
    overwrite: input.overwrite,
  };
  // Placed at once when a drive reaches the first tape; otherwise it waits for it, visibly.
  const run = await queueReadRun(
    ctx,
    {
      jobId: set.jobId,
      kind: "restore",
      triggeredBy,
      queuedAt: ctx.now(),
      bytesTotal: plan.bytes,
      filesTotal: plan.files,
      setId: set.id,
      operatorMessage: [...new Set(plan.tapes.map((t) => t.instruction))].join(" · "),
    },
    {
      tapeId: first.id,
      body,
      hubOnly: { encryptionKeyId: key?.id ?? null },
      driveId: input.driveId,
      agentId: input.agentId,
    },
  );
  return { run, plan };
}

/**
 * The one key a chain's encrypted sets share (the order carries one data key, sealed to `set`'s
 * encryption, so the first set read must be encrypted when any is).
 */
async function keyOfChain(ctx: ServiceCtx, sets: SetRow[]) {
  const encrypted = sets.filter((s) => s.encryption !== "none");
  const first = encrypted[0];
  if (!first) return undefined;
  const fingerprints = new Set(encrypted.map((s) => s.encryptionKeyFingerprint));
  if (fingerprints.size > 1 || sets[0]?.encryption === "none")
    throw conflict(
      `The sets of this restore (${sets.map((s) => s.id).join(", ")}) were written with different encryption keys or settings; restore each set on its own`,
    );
  return keyOfSet(ctx, first, "restore");
}
