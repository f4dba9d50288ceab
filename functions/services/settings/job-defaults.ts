import { z } from "zod";
import { COMPRESSIONS } from "../../db/schema/index.ts";

/** The one settings row this file owns; secret rows (hub.*) are never read or written here. */
export const JOB_DEFAULTS_KEY = "jobs.defaults";

/** The compressions a job or the hub default may use (the catalog's own list). */
export { COMPRESSIONS };

export const BLOCK_SIZES = [32, 64, 128, 256, 512, 1024, 2048, 4096].map((k) => k * 1024);

export const jobDefaultsInput = z.object({
  /** Compression of a job created without one. */
  compression: z.enum(COMPRESSIONS),
  /** Tape block size of new backup sets; tar and the drive need a multiple of 512 bytes. */
  blockSize: z
    .number()
    .int()
    .min(16 * 1024, "must be at least 16 KiB")
    .max(4 * 1024 * 1024, "must be at most 4 MiB (the largest block every LTO drive takes)")
    .refine((n) => n % 512 === 0, "must be a multiple of 512 bytes"),
});

export type JobDefaults = z.output<typeof jobDefaultsInput>;

export const JOB_DEFAULTS: JobDefaults = { compression: "zstd", blockSize: 64 * 1024 };
