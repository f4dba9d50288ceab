import { access, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { DriveError } from "../../errors.ts";
import { CLEANING_FLAGS, type DriveHealth, EXPIRED_CLEANING_MEDIA } from "../health/drive-health.ts";
import { tapeAlertOf } from "../st/parse-tape-alert.ts";
import { loadDriveState } from "./drive-state.ts";

/**
 * drives/<n>/health.json: the TapeAlert flags and error counts a vtl drive reports, which a test
 * (or `drive-agent vtl alert|errors`) sets, as a worn head or a dirty drive would on real hardware.
 * Bytes written and read come from the drive's own counters since the cartridge was loaded.
 */
const HealthSchema = z.object({
  flags: z.array(z.number().int().min(1).max(64)),
  errors: z.object({
    writeCorrected: z.number().int().min(0),
    writeUncorrected: z.number().int().min(0),
    readCorrected: z.number().int().min(0),
    readUncorrected: z.number().int().min(0),
  }),
});
export type VtlHealth = z.infer<typeof HealthSchema>;

const healthy = (): VtlHealth => ({
  flags: [],
  errors: { writeCorrected: 0, writeUncorrected: 0, readCorrected: 0, readUncorrected: 0 },
});

export async function readVtlHealthFile(dir: string, index: number): Promise<VtlHealth> {
  const text = await readFile(healthPath(dir, index), "utf8").catch(() => null);
  return text === null ? healthy() : HealthSchema.parse(JSON.parse(text));
}

async function saveHealth(dir: string, index: number, health: VtlHealth): Promise<void> {
  const path = healthPath(dir, index);
  await writeFile(`${path}.tmp`, `${JSON.stringify(health)}\n`);
  await rename(`${path}.tmp`, path);
}

/** What sg_logs pages 0x2e, 0x02 and 0x03 would say about vtl drive `index`. */
export async function vtlDriveHealth(dir: string, index: number): Promise<DriveHealth> {
  const health = await readVtlHealthFile(dir, index);
  const state = await loadDriveState(join(dir, "drives", String(index), "state.json"));
  return {
    alerts: [...health.flags].sort((a, b) => a - b).map(tapeAlertOf),
    counters: {
      ...health.errors,
      bytesWritten: state?.counters.bytesWritten ?? 0,
      bytesRead: state?.counters.bytesRead ?? 0,
    },
  };
}

/** Sets and clears TapeAlert flags of a vtl drive. */
export async function setVtlAlerts(opts: {
  dir: string;
  drive: number;
  set?: number[];
  clear?: number[];
}): Promise<VtlHealth> {
  await driveExists(opts.dir, opts.drive);
  const health = await readVtlHealthFile(opts.dir, opts.drive);
  const flags = new Set(health.flags);
  for (const code of opts.set ?? []) flags.add(code);
  for (const code of opts.clear ?? []) flags.delete(code);
  const next = { ...health, flags: [...flags].sort((a, b) => a - b) };
  await saveHealth(opts.dir, opts.drive, HealthSchema.parse(next));
  return next;
}

/** Sets error counts of a vtl drive (those not named stay as they are). */
export async function setVtlErrors(opts: {
  dir: string;
  drive: number;
  errors: Partial<VtlHealth["errors"]>;
}): Promise<VtlHealth> {
  await driveExists(opts.dir, opts.drive);
  const health = await readVtlHealthFile(opts.dir, opts.drive);
  const next = { ...health, errors: { ...health.errors, ...opts.errors } };
  await saveHealth(opts.dir, opts.drive, HealthSchema.parse(next));
  return next;
}

// A leaf beside library.ts (which clears flags when a cleaning cartridge is loaded): no import back.
const healthPath = (dir: string, index: number) => join(dir, "drives", String(index), "health.json");

async function driveExists(dir: string, index: number): Promise<void> {
  await access(join(dir, "drives", String(index))).catch(() => {
    throw new DriveError("INVALID_ARGUMENT", `no drive ${index} in ${dir}`);
  });
}

/**
 * A cleaning cartridge ran in the drive: a good one clears "cleaning required/requested" (and a
 * stale "expired cleaning media"); a spent one cleans nothing and raises flag 22.
 */
export async function recordCleaning(dir: string, index: number, spent: boolean): Promise<void> {
  const health = await readVtlHealthFile(dir, index);
  const flags = new Set(health.flags);
  if (spent) flags.add(EXPIRED_CLEANING_MEDIA);
  else for (const code of [...CLEANING_FLAGS, EXPIRED_CLEANING_MEDIA]) flags.delete(code);
  await saveHealth(dir, index, { ...health, flags: [...flags].sort((a, b) => a - b) });
}
