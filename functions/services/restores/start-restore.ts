import { and, eq, ne } from "drizzle-orm";
import { z } from "zod";
import type { RestoreOrderBody } from "../../../contracts/agent-protocol.ts";
import { agents, backupSets, drives, encryptionKeys, jobRuns, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { catalogPath } from "../catalog/paths.ts";
import { planRestoreParts } from "../catalog/restore-plan.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

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
});

/**
 * Turns a restore plan into a run and a work order for a drive that can reach the first tape
 * (the one holding it, one of its changer, or the drive the operator named). A point-in-time
 * restore over a chain is still one order: it reads the sets in turn.
 */
export async function startRestore(
  ctx: ServiceCtx,
  input: z.output<typeof startRestoreInput>,
  triggeredBy: string,
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
  const drive = await driveFor(ctx, first, input.driveId);
  const key = await keyOfChain(
    ctx,
    parts.map((p) => p.set),
  );
  const now = ctx.now();
  const [run] = await ctx.db
    .insert(jobRuns)
    .values({
      jobId: set.jobId,
      kind: "restore",
      state: "queued",
      triggeredBy,
      queuedAt: now,
      agentId: drive.agentId,
      driveId: drive.id,
      currentTapeId: first.id,
      bytesTotal: plan.bytes,
      filesTotal: plan.files,
      setId: set.id,
      operatorMessage: [...new Set(plan.tapes.map((t) => t.instruction))].join(" · "),
    })
    .returning();
  if (!run) throw new Error("restore run insert returned nothing");
  // One order reads every set of the chain in turn: one run, one set of totals, one drive.
  const orderParts = await Promise.all(
    parts.map(async (part) => ({
      set: orderSet(part.set),
      files: part.entries.map((e) => ({
        path: e.dir ? `${e.dir}/${e.name}` : e.name,
        type: e.type,
        size: e.size,
        sha256: e.sha256,
        offset: e.offset,
        segment: e.segment,
      })),
      tapes: await orderTapes(ctx, part.tapes),
    })),
  );
  const [head, ...more] = orderParts;
  if (!head) throw new Error("a restore plan without a set");
  const body: RestoreOrderBody = {
    kind: "restore",
    runId: run.id,
    ...head,
    ...(more.length > 0 ? { more } : {}),
    destination: input.destination,
    overwrite: input.overwrite,
    drive: { devicePath: drive.devicePath },
  };
  await queueOrder(ctx, drive.agentId, body, { encryptionKeyId: key?.id ?? null });
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

type SetRow = typeof backupSets.$inferSelect;

/** The set's shape as an order carries it; the data key is sealed to the agent at delivery. */
export function orderSet(set: SetRow): RestoreOrderBody["set"] {
  return {
    uuid: set.uuid,
    compression: set.compression as RestoreOrderBody["set"]["compression"],
    encryption: {
      algorithm: set.encryption === "none" ? "none" : "aes-256-gcm",
      keyFingerprint: set.encryptionKeyFingerprint,
      dataKeyJwe: null,
    },
    blockSize: set.blockSize,
  };
}

/** The hub's key of an encrypted set; without it only the tape host (with --key-file) can read the set. */
export async function keyOfSet(ctx: ServiceCtx, set: SetRow, verb: "restore" | "verify") {
  const key = set.encryptionKeyFingerprint
    ? await ctx.db.query.encryptionKeys.findFirst({
        where: eq(encryptionKeys.fingerprint, set.encryptionKeyFingerprint),
      })
    : undefined;
  if (set.encryption !== "none" && !key) {
    throw conflict(
      `Set ${set.id} is encrypted with key ${set.encryptionKeyFingerprint}, which this hub does not hold; ${verb} with drive-agent ${verb} --key-file`,
    );
  }
  return key;
}

/** The plan's tapes as an order lists them, with the label and uuid each must carry. */
export async function orderTapes(
  ctx: ServiceCtx,
  planned: { barcode: string; sequence: number; fileNumber: number; streamOffset: number }[],
): Promise<RestoreOrderBody["tapes"]> {
  const rows = await Promise.all(
    planned.map((t) => ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, t.barcode) })),
  );
  return planned.map((t, i) => ({
    barcode: t.barcode,
    label: rows[i]?.label ?? t.barcode,
    uuid: rows[i]?.uuid ?? "",
    sequence: t.sequence,
    fileNumber: t.fileNumber,
    streamOffset: t.streamOffset,
  }));
}

/** The drive named, else the one holding the tape, one of its changer, or any online drive. */
export async function driveFor(
  ctx: ServiceCtx,
  tape: typeof tapes.$inferSelect,
  driveId: number | undefined,
) {
  if (driveId) {
    const drive = await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) });
    if (!drive) throw new AppError("validation_failed", `Drive ${driveId} does not exist`);
    return drive;
  }
  if (tape.driveId)
    return getOrThrow(
      await ctx.db.query.drives.findFirst({ where: eq(drives.id, tape.driveId) }),
      "Drive",
      tape.driveId,
    );
  if (tape.changerId) {
    const inChanger = await ctx.db.query.drives.findMany({
      where: and(eq(drives.changerId, tape.changerId), ne(drives.state, "offline")),
    });
    const drive = inChanger.find((d) => d.state === "idle") ?? inChanger[0];
    if (drive) return drive;
  }
  // Not in any library: any drive of an online agent; the agent asks for the tape.
  const [any] = await ctx.db
    .select({ drive: drives })
    .from(drives)
    .innerJoin(agents, eq(agents.id, drives.agentId))
    .where(and(eq(agents.state, "online"), ne(drives.state, "offline")))
    .limit(1);
  if (!any) throw conflict(`No online drive can read ${tape.barcode}; start a drive-agent or give driveId`);
  return any.drive;
}
