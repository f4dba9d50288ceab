import { generationFromDensity, type LtoGeneration } from "./density.ts";

export type CartridgeMemory = {
  barcode: string | null;
  manufacturer: string | null;
  serialNumber: string | null;
  loadCount: number | null;
  remainingCapacityMiB: number | null;
  maximumCapacityMiB: number | null;
  densityCode: number | null;
  generation: LtoGeneration | null;
  manufactureDate: string | null;
  /** Every attribute line as printed, for fields we do not model. */
  attributes: Record<string, string>;
};

/** Parses `sg_read_attr <sg>` (sg3-utils): "Attribute values:" then "  <name>: <value>" lines. */
export function parseReadAttr(output: string): CartridgeMemory {
  const attributes: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const match = /^\s+([^:]+?):\s?(.*)$/.exec(line);
    // Attributes may repeat (Assigning organization appears twice); the first one is the medium's.
    if (match?.[1] && !(match[1] in attributes)) attributes[match[1]] = (match[2] ?? "").trim();
  }
  const text = (name: string) => (attributes[name] ? attributes[name] : null);
  const number = (name: string) => {
    const value = attributes[name];
    if (value === undefined || value === "") return null;
    const parsed = value.startsWith("0x") ? Number.parseInt(value, 16) : Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  };
  const densityCode = number("Medium density code") ?? number("Format density code");
  return {
    barcode: text("Barcode"),
    manufacturer: text("Medium manufacturer"),
    serialNumber: text("Medium serial number"),
    loadCount: number("Load count"),
    remainingCapacityMiB: number("Remaining capacity in partition [MiB]"),
    maximumCapacityMiB: number("Maximum capacity in partition [MiB]"),
    densityCode,
    generation: generationFromDensity(densityCode),
    manufactureDate: text("Medium manufacture date"),
    attributes,
  };
}
