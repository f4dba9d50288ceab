import { and, eq, ne } from "drizzle-orm";
import type { RestoreOrderBody } from "../../../contracts/agent-protocol.ts";
import { agents, type backupSets, drives, encryptionKeys, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

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
 * The drive named, else one of the agent named, else the one holding the tape, one of its
 * changer, or a drive at the tape's site (a set whose tapes moved to site B is read at B).
 */
export async function driveFor(
  ctx: ServiceCtx,
  tape: typeof tapes.$inferSelect,
  driveId: number | undefined,
  agentId?: string,
) {
  if (driveId) {
    const drive = await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) });
    if (!drive) throw new AppError("validation_failed", `Drive ${driveId} does not exist`);
    await refuseOtherSite(ctx, tape, drive.agentId);
    return drive;
  }
  if (agentId) {
    await refuseOtherSite(ctx, tape, agentId);
    const ofAgent = await ctx.db.query.drives.findMany({
      where: and(eq(drives.agentId, agentId), ne(drives.state, "offline")),
    });
    const drive =
      ofAgent.find((d) => d.id === tape.driveId) ?? ofAgent.find((d) => d.state === "idle") ?? ofAgent[0];
    if (!drive) throw conflict(`Agent ${agentId} has no drive that is not offline`);
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
  // Not in any library: a drive of an online agent at the tape's site; the agent asks for the tape.
  const [any] = await ctx.db
    .select({ drive: drives })
    .from(drives)
    .innerJoin(agents, eq(agents.id, drives.agentId))
    .where(
      and(
        eq(agents.state, "online"),
        ne(drives.state, "offline"),
        tape.siteId ? eq(agents.siteId, tape.siteId) : undefined,
      ),
    )
    .limit(1);
  if (!any)
    throw conflict(
      `No online drive${tape.siteId ? " at the tape's site" : ""} can read ${tape.barcode}; start a drive-agent there, move the tape, or give driveId`,
    );
  return any.drive;
}

/** A tape is read where it is: a drive at another site would wait for a cartridge that is not there. */
async function refuseOtherSite(ctx: ServiceCtx, tape: typeof tapes.$inferSelect, agentId: string) {
  if (!tape.siteId) return;
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  if (!agent) throw new AppError("validation_failed", `Agent ${agentId} does not exist`);
  if (agent.siteId !== null && agent.siteId !== tape.siteId)
    throw conflict(
      `${tape.barcode} is at another site than agent ${agent.name}; record its move there first, or restore on an agent at its site`,
    );
}
