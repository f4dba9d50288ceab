import { eq } from "drizzle-orm";
import type { RestoreOrderBody } from "../../../contracts/agent-protocol.ts";
import { agents, type backupSets, drives, encryptionKeys, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";

export type SetRow = typeof backupSets.$inferSelect;

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

/**
 * The drive an operator named for a read; the agent asks for the tape there if it is not in it.
 * Refused when the drive is at another site than the tape.
 */
export async function namedDrive(ctx: ServiceCtx, tape: typeof tapes.$inferSelect, driveId: number) {
  const drive = await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) });
  if (!drive) throw new AppError("validation_failed", `Drive ${driveId} does not exist`);
  await refuseOtherSite(ctx, tape, drive.agentId);
  return drive;
}

/** A tape is read where it is: a drive at another site would wait for a cartridge that is not there. */
export async function refuseOtherSite(ctx: ServiceCtx, tape: typeof tapes.$inferSelect, agentId: string) {
  if (!tape.siteId) return;
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  if (!agent) throw new AppError("validation_failed", `Agent ${agentId} does not exist`);
  if (agent.siteId !== null && agent.siteId !== tape.siteId)
    throw conflict(
      `${tape.barcode} is at another site than agent ${agent.name}; record its move there first, or restore on an agent at its site`,
    );
}
