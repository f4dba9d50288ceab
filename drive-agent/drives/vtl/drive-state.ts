import { readFile, rename, writeFile } from "node:fs/promises";
import { z } from "zod";
import type { DriveStatus } from "../drive.ts";
import { generationFromDensity } from "../st/density.ts";

const CountersSchema = z.object({
  blocksRead: z.number(),
  bytesRead: z.number(),
  blocksWritten: z.number(),
  bytesWritten: z.number(),
  filemarksWritten: z.number(),
});
export type DriveCounters = z.infer<typeof CountersSchema>;

/** The drive keeps its position between processes, as a real drive does behind /dev/nstN. */
const DriveStateSchema = z.object({
  online: z.boolean(),
  /** True position; st may not know it (fileKnown/blockKnown false after a locate or backspace). */
  file: z.number().int(),
  block: z.number().int(),
  fileKnown: z.boolean(),
  blockKnown: z.boolean(),
  blockSize: z.number().int().positive(),
  counters: CountersSchema,
});
export type DriveState = z.infer<typeof DriveStateSchema>;

/** State after a changer load: threaded, at BOT, counters from zero. */
export function freshDriveState(blockSize: number): DriveState {
  return {
    online: true,
    file: 0,
    block: 0,
    fileKnown: true,
    blockKnown: true,
    blockSize,
    counters: { blocksRead: 0, bytesRead: 0, blocksWritten: 0, bytesWritten: 0, filemarksWritten: 0 },
  };
}

export async function loadDriveState(path: string): Promise<DriveState | null> {
  return readFile(path, "utf8").then(
    (text) => DriveStateSchema.parse(JSON.parse(text)),
    () => null,
  );
}

export async function saveDriveState(path: string, state: DriveState): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(state));
  await rename(`${path}.tmp`, path);
}

const densityOfMedia: Record<string, number> = { L5: 0x58, L6: 0x5a, L7: 0x5c, M8: 0x5d, L8: 0x5e, L9: 0x60 };

/** What `mt status` would show: unknown numbers as -1, density from the barcode's media suffix. */
export function statusOf(input: {
  state: DriveState;
  barcode: string | null;
  writeProtected: boolean;
  atEndOfData: boolean;
  pastEarlyWarning: boolean;
}): DriveStatus {
  const { state, barcode } = input;
  const ready = barcode !== null && state.online;
  const densityCode = ready ? (densityOfMedia[barcode.slice(-2)] ?? null) : null;
  const { file, block } = state;
  const eod = ready && input.atEndOfData;
  return {
    fileNumber: ready && state.fileKnown ? file : -1,
    blockNumber: ready && state.blockKnown ? block : -1,
    blockSize: state.blockSize,
    densityCode,
    generation: generationFromDensity(densityCode),
    barcode,
    flags: {
      bot: ready && file === 0 && block === 0,
      eof: ready && !eod && file > 0 && block === 0,
      eot: ready && input.pastEarlyWarning,
      eod,
      online: ready,
      doorOpen: barcode === null,
      writeProtected: input.writeProtected,
    },
  };
}
