import { LTO_NATIVE_BYTES } from "../../contracts/lto-capacity.ts";
import { type LtoGeneration, nativeCapacity } from "./st/density.ts";

/**
 * LTO barcodes end in the media type (`E01001L8`, `IBM015LA`): L1…L9 are LTO-1…9, M8 is an LTO-7
 * cartridge initialised as type M, LA is LTO-10 (30 TB native, docs: design.md). A cleaning
 * cartridge (CLN…) or an unknown suffix has no capacity to report, which is not an error.
 */
const SUFFIX_GENERATION: Record<string, LtoGeneration | "LTO-10"> = {
  L1: "LTO-1",
  L2: "LTO-2",
  L3: "LTO-3",
  L4: "LTO-4",
  L5: "LTO-5",
  L6: "LTO-6",
  L7: "LTO-7",
  M8: "LTO-7-M8",
  L8: "LTO-8",
  L9: "LTO-9",
  LA: "LTO-10",
};

export function capacityOfBarcode(barcode: string | null): number | null {
  if (!barcode || barcode.startsWith("CLN") || barcode.length < 3) return null;
  const generation = SUFFIX_GENERATION[barcode.slice(-2)];
  if (!generation) return null;
  return generation === "LTO-10" ? LTO_NATIVE_BYTES["LTO-10"] : nativeCapacity[generation];
}

/** A generation read from the drive's density code, as bytes; null when it is not known. */
export function capacityOfGeneration(generation: LtoGeneration | null): number | null {
  return generation ? nativeCapacity[generation] : null;
}
