import { eq } from "drizzle-orm";
import { z } from "zod";
import { GUEST_PART_RE } from "../../../contracts/proxmox.ts";
import { guestBackups, sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { startRestore } from "../restores/start-restore.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { guestSpecOf } from "../sources/guest-spec-of.ts";

export const startGuestRestoreInput = z
  .object({
    /** "pve": qmrestore / pct restore on the source's node; "file": the archive into `destination`. */
    target: z.enum(["pve", "file"]),
    /** Restore as this id; default the id it was backed up as. */
    vmid: z.number().int().min(100).max(999_999_999).optional(),
    storage: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, "must be a PVE storage id")
      .nullish()
      .transform((v) => v ?? null),
    /** Overwrite an existing, stopped guest of that id (a running one is always refused). */
    overwrite: z.boolean().default(false),
    destination: z
      .string()
      .max(4096)
      .refine((p) => p.startsWith("/"), "must be an absolute path")
      .refine((p) => !p.split("/").includes(".."), "must not contain '..'")
      .optional(),
    driveId: z.number().int().positive().optional(),
  })
  .refine((v) => v.target !== "file" || v.destination, {
    message: "give the directory to write the archive to",
    path: ["destination"],
  });

/**
 * A guest's archive from tape, read in order part by part, into qmrestore / pct restore on the
 * Proxmox source's node, or into one file. The plan names the tapes as a file restore's does.
 */
export async function startGuestRestore(
  ctx: ServiceCtx,
  guestBackupId: number,
  input: z.output<typeof startGuestRestoreInput>,
  triggeredBy: string,
) {
  const guest = getOrThrow(
    await ctx.db.query.guestBackups.findFirst({ where: eq(guestBackups.id, guestBackupId) }),
    "Guest backup",
    guestBackupId,
  );
  if (guest.state !== "completed")
    throw conflict(`The backup of guest ${guest.vmid} (${guest.name}) failed; nothing to restore from it`);
  let pve = null;
  if (input.target === "pve") {
    const source = guest.sourceId
      ? await ctx.db.query.sources.findFirst({ where: eq(sources.id, guest.sourceId) })
      : undefined;
    if (!source)
      throw new AppError(
        "validation_failed",
        "The Proxmox source of this backup is gone; restore the archive to a directory instead",
      );
    const spec = await guestSpecOf(ctx, source);
    if (typeof spec === "string" || !spec)
      throw new AppError("validation_failed", spec ?? "not a Proxmox source");
    pve = spec.pve;
  }
  const archiveName = guest.archivePath.slice(guest.archivePath.lastIndexOf("/") + 1);
  const dir = guest.archivePath.slice(0, guest.archivePath.lastIndexOf("/"));
  const isPart = (path: string) => path.startsWith(`${guest.archivePath}.`) && GUEST_PART_RE.test(path);
  return startRestore(
    ctx,
    {
      setId: guest.setId,
      paths: [dir],
      destination: input.destination ?? "/var/lib/tapebackarr-agent/guest-restore",
      overwrite: input.overwrite ? "overwrite" : "skip",
      driveId: input.driveId,
    },
    triggeredBy,
    {
      spec: {
        target: input.target,
        type: guest.type,
        fromVmid: guest.vmid,
        vmid: input.vmid ?? guest.vmid,
        archiveName,
        storage: input.storage,
        overwrite: input.overwrite,
        pve,
        sha256: guest.sha256,
      },
      only: isPart,
    },
  );
}
