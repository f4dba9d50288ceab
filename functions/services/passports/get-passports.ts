import { asc, eq, inArray } from "drizzle-orm";
import { documentedBlocks } from "../../../contracts/doc-blocks.ts";
import { backupSetSegments, backupSets, jobs, pools, tapes } from "../../db/schema/index.ts";
import type { AssetSource, ServiceCtx } from "../../deps.ts";
import { notFound } from "../../errors.ts";
import { readDoc } from "../docs/get-doc.ts";
import { labelCommand, passportCommands } from "./passport-commands.ts";

export type Passport = Awaited<ReturnType<typeof getPassports>>["tapes"][number];

/**
 * Tape passports: per cartridge its label, pool, the sets on it with dates and key fingerprints,
 * and the commands that read each set without TapeBackarr (from docs/tape-format.md). For one
 * tape, every tape of a pool, or every tape of a media set (what goes offsite together).
 */
export async function getPassports(
  ctx: ServiceCtx,
  assets: AssetSource,
  which: { tapeId: number } | { poolId: number } | { mediaSetId: number },
) {
  const rows = await ctx.db
    .select({ tape: tapes, pool: pools.name })
    .from(tapes)
    .leftJoin(pools, eq(pools.id, tapes.poolId))
    .where(
      "tapeId" in which
        ? eq(tapes.id, which.tapeId)
        : "poolId" in which
          ? eq(tapes.poolId, which.poolId)
          : eq(tapes.mediaSetId, which.mediaSetId),
    )
    .orderBy(asc(tapes.barcode));
  if (rows.length === 0)
    throw "tapeId" in which
      ? notFound("Tape", which.tapeId)
      : "poolId" in which
        ? notFound("Pool with tapes", which.poolId)
        : notFound("Media set with tapes", which.mediaSetId);
  const segments = await ctx.db
    .select({
      tapeId: backupSetSegments.tapeId,
      fileNumber: backupSetSegments.fileNumber,
      sequence: backupSetSegments.sequence,
      setId: backupSets.id,
      uuid: backupSets.uuid,
      job: jobs.name,
      backupType: backupSets.backupType,
      state: backupSets.state,
      startedAt: backupSets.startedAt,
      finishedAt: backupSets.finishedAt,
      compression: backupSets.compression,
      encryption: backupSets.encryption,
      fingerprint: backupSets.encryptionKeyFingerprint,
      fileCount: backupSets.fileCount,
    })
    .from(backupSetSegments)
    .innerJoin(backupSets, eq(backupSets.id, backupSetSegments.setId))
    .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
    .where(
      inArray(
        backupSetSegments.tapeId,
        rows.map((r) => r.tape.id),
      ),
    )
    .orderBy(asc(backupSetSegments.fileNumber));
  const doc = await readDoc(assets, "tape-format");
  return {
    copyTape: documentedBlocks(doc, "copy").get("tape") ?? "",
    label: labelCommand(doc),
    tapes: rows.map(({ tape, pool }) => ({
      barcode: tape.barcode,
      label: tape.label,
      uuid: tape.uuid,
      pool,
      mediaSetId: tape.mediaSetId,
      state: tape.state,
      labelledAt: tape.labelledAt,
      lastWrittenAt: tape.lastWrittenAt,
      sets: segments
        .filter((s) => s.tapeId === tape.id)
        .map((s) => ({
          ...s,
          number: (s.fileNumber + 1) / 2,
          tocFile: s.fileNumber + 1,
          commands: passportCommands(doc, {
            dataFile: s.fileNumber,
            tocFile: s.fileNumber + 1,
            compression: s.compression,
            encrypted: s.encryption !== "none",
          }),
        })),
    })),
  };
}
