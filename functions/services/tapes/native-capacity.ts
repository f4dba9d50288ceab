import {
  isNominalCapacity,
  LTO_NATIVE_BYTES,
  type LtoNativeGeneration,
} from "../../../contracts/lto-capacity.ts";
import { mediaTypeOf } from "./media-type.ts";

/** A generation as the catalog names it ("LTO-9 WORM", "LTO-7 Type M") in the published table. */
function nativeBytes(generation: string | null): number | null {
  if (!generation) return null;
  const name = generation.replace(/ WORM$/, "").replace(/ Type M$/, "-M8");
  return LTO_NATIVE_BYTES[name as LtoNativeGeneration] ?? null;
}

/** The tape's capacity: what the agent reported (vtl size, drive MAM), else its generation's native one. */
export function capacityOf(tape: { capacityBytes: number | null; generation: string | null }): number | null {
  return tape.capacityBytes ?? nativeBytes(tape.generation);
}

/**
 * The capacity a page shows for a tape, and whether it is nominal: the generation's published
 * figure (reported so by the agent, or taken from the generation or barcode when no agent has
 * reported one) rather than the cartridge's own.
 */
export function shownCapacity(tape: {
  capacityBytes: number | null;
  generation?: string | null;
  barcode: string;
}): { capacityBytes: number | null; capacityNominal: boolean } {
  if (tape.capacityBytes)
    return { capacityBytes: tape.capacityBytes, capacityNominal: isNominalCapacity(tape.capacityBytes) };
  const nominal = nativeBytes(tape.generation ?? mediaTypeOf(tape.barcode));
  return { capacityBytes: nominal, capacityNominal: nominal !== null };
}
