import type { DriveFlags } from "../drive.ts";
import { generationFromDensity, type LtoGeneration } from "./density.ts";

export type MtStatus = {
  driveType: string | null;
  fileNumber: number;
  blockNumber: number;
  partition: number | null;
  blockSize: number;
  densityCode: number | null;
  densityName: string | null;
  generation: LtoGeneration | null;
  softErrors: number | null;
  statusBits: number | null;
  flags: DriveFlags;
  /** Every flag word mt printed, including ones we do not model (IM_REP_EN, CLN, SM). */
  rawFlags: string[];
};

/** Parses mt-st's `status` output (mt-st 1.1 to 1.7 print the same lines). */
export function parseMtStatus(output: string): MtStatus {
  const driveType = /^(.+) tape drive:$/m.exec(output)?.[1] ?? null;
  const position = /File number=(-?\d+), block number=(-?\d+)(?:, partition=(-?\d+))?\./.exec(output);
  if (!position) throw new Error("mt status output has no 'File number=' line");
  const block = /Tape block size (\d+) bytes\. Density code 0x([0-9a-f]+) \(([^)]*)\)\./i.exec(output);
  const softErrors = /Soft error count since last status=(\d+)/.exec(output);
  const bits = /General status bits on \(([0-9a-f]+)\):\s*\n(.*)/i.exec(output);
  const rawFlags = bits?.[2]?.trim().split(/\s+/).filter(Boolean) ?? [];
  const has = (flag: string) => rawFlags.includes(flag);
  const densityCode = block?.[2] ? Number.parseInt(block[2], 16) : null;
  return {
    driveType,
    fileNumber: Number(position[1]),
    blockNumber: Number(position[2]),
    partition: position[3] === undefined ? null : Number(position[3]),
    blockSize: block?.[1] ? Number(block[1]) : 0,
    densityCode,
    densityName: block?.[3] ?? null,
    generation: generationFromDensity(densityCode || null),
    softErrors: softErrors?.[1] ? Number(softErrors[1]) : null,
    statusBits: bits?.[1] ? Number.parseInt(bits[1], 16) : null,
    flags: {
      bot: has("BOT"),
      eof: has("EOF"),
      eot: has("EOT"),
      eod: has("EOD"),
      online: has("ONLINE"),
      doorOpen: has("DR_OPEN"),
      writeProtected: has("WR_PROT"),
    },
    rawFlags,
  };
}

/** `mt tell` prints "At block N." */
export function parseMtTell(output: string): number {
  const match = /At block (\d+)\./.exec(output);
  if (!match?.[1]) throw new Error(`unexpected mt tell output: ${output.trim()}`);
  return Number(match[1]);
}
