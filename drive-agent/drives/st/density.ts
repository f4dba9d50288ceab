import { LTO_NATIVE_BYTES } from "../../../contracts/lto-capacity.ts";

/** SCSI density codes of LTO generations (SSC / LTO consortium), as `mt status` and MAM report them. */
export type LtoGeneration =
  | "LTO-1"
  | "LTO-2"
  | "LTO-3"
  | "LTO-4"
  | "LTO-5"
  | "LTO-6"
  | "LTO-7"
  | "LTO-7-M8"
  | "LTO-8"
  | "LTO-9";

const densityToGeneration: Record<number, LtoGeneration> = {
  64: "LTO-1",
  66: "LTO-2",
  68: "LTO-3",
  70: "LTO-4",
  88: "LTO-5",
  90: "LTO-6",
  92: "LTO-7",
  93: "LTO-7-M8",
  94: "LTO-8",
  // mt-st 1.7 prints "(no translation)" for 0x60, so the code, not mt's text, decides.
  96: "LTO-9",
};

export function generationFromDensity(code: number | null): LtoGeneration | null {
  return code === null ? null : (densityToGeneration[code] ?? null);
}

/** Native capacity in bytes, for progress and "tape full" estimates (the published figures, contracts/). */
export const nativeCapacity: Record<LtoGeneration, number> = LTO_NATIVE_BYTES;
