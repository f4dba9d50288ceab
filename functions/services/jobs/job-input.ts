import { Cron } from "croner";
import { z } from "zod";
import { JobGuests } from "../../../contracts/proxmox.ts";
import { BACKUP_TYPES, COMPRESSIONS, ENCRYPTIONS, JOB_KINDS } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { checkKeyWritesAt } from "../encryption-keys/key-writes-at.ts";
import { getPool } from "../pools/get-pool.ts";
import { displayName, patchSchema } from "../shared/input-schemas.ts";
import { siteOf } from "../sites/site-of.ts";
import { getSource } from "../sources/get-source.ts";

const schedule = z
  .string()
  .trim()
  .max(128)
  .refine(
    (expr) => nextRun(expr, new Date()) !== undefined,
    "is not a schedule with a future run: write five fields, minute hour day-of-month month day-of-week, e.g. '0 22 * * *' for every day at 22:00",
  );

const jobFields = z.object({
  name: displayName(),
  /** A backup job writes its source to its pool; a verify job reads back its pool's sets in turn. */
  kind: z.enum(JOB_KINDS).default("backup"),
  sourceId: z.number().int().positive().nullish(),
  /** A job over a Proxmox source: which guests, in which mode; absent or null: as the source says. */
  guests: JobGuests.nullish(),
  poolId: z.number().int().positive(),
  backupType: z.enum(BACKUP_TYPES).default("full"),
  /** Absent: the hub's default for new jobs (Settings). */
  compression: z.enum(COMPRESSIONS).optional(),
  encryption: z.enum(ENCRYPTIONS).default("none"),
  encryptionKeyId: z.number().int().positive().nullish(),
  schedule: schedule.nullish(),
  /** Scheduled runs are fulls when this fired since the last full (e.g. "0 22 * * 0": weekly). */
  fullSchedule: schedule.nullish(),
  enabled: z.boolean().default(true),
  /** A run that finds no file to back up (an unmounted share) fails unless this is true. */
  allowEmpty: z.boolean().default(false),
  /** A catalog job runs also after every backup job's run (besides its schedule). */
  afterBackups: z.boolean().default(false),
  /** Times a scheduled run that failed retryably or was interrupted is run again (manual runs never). */
  retries: z.number().int().min(0).max(10).default(2),
  /** Minutes between such a failure and its retry. */
  retryDelayMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(10),
});

export const keyWhenEncrypted = (v: { encryption?: string; encryptionKeyId?: number | null }) =>
  v.encryption !== "aes-256-gcm" || !!v.encryptionKeyId;

export const sourceWhenBackup = (v: { kind?: string; sourceId?: number | null }) =>
  v.kind === "verify" || v.kind === "catalog" || !!v.sourceId;

export const afterBackupsWhenCatalog = (v: { kind?: string; afterBackups?: boolean }) =>
  v.kind === "catalog" || !v.afterBackups;
export const AFTER_BACKUPS_ONLY_CATALOG = "only a catalog job runs after every backup job";

export const createJobInput = jobFields
  .refine(keyWhenEncrypted, {
    message: "an encrypted job needs an encryptionKeyId",
    path: ["encryptionKeyId"],
  })
  .refine(sourceWhenBackup, { message: "a backup job needs a sourceId", path: ["sourceId"] })
  .refine(afterBackupsWhenCatalog, { message: AFTER_BACKUPS_ONLY_CATALOG, path: ["afterBackups"] });

export const updateJobInput = patchSchema(jobFields);

/** The next time `expr` falls on after `after`, read in `zone` (the hub's schedule zone). */
export function nextRun(expr: string, after: Date, zone = "UTC"): Date | undefined {
  try {
    return new Cron(expr, { paused: true, timezone: zone }).nextRun(after) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The job's source, pool and key exist, only a job over a Proxmox source chooses guests, and a key
 * bound to a site is used only by a job at that site.
 */
export async function checkReferences(
  ctx: ServiceCtx,
  input: {
    sourceId?: number | null;
    poolId?: number;
    guests?: JobGuests | null;
    encryption?: string;
    encryptionKeyId?: number | null;
  },
) {
  try {
    const source = input.sourceId ? await getSource(ctx, input.sourceId) : undefined;
    if (input.poolId) await getPool(ctx, input.poolId);
    if (input.encryption === "aes-256-gcm" && input.encryptionKeyId)
      await checkKeyWritesAt(
        ctx,
        input.encryptionKeyId,
        source ? ((await siteOf(ctx, "source", source.id)) ?? null) : null,
        source ? `a job over ${source.name}` : "a job without a source",
      );
    if (input.guests && source && source.kind !== "proxmox")
      throw new AppError(
        "validation_failed",
        `guests: source ${source.name} holds paths, not Proxmox guests; choose guests only for a Proxmox source`,
      );
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found")
      throw new AppError("validation_failed", error.message);
    throw error;
  }
}
