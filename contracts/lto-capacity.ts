/**
 * Native (uncompressed) capacity of each LTO generation as the LTO consortium publishes it,
 * 1000-based. The agent reports it for a cartridge whose own memory it cannot read (from the
 * barcode's suffix or the drive's density code); the hub says "nominal" beside such a figure.
 */
export const LTO_NATIVE_BYTES = {
  "LTO-1": 100e9,
  "LTO-2": 200e9,
  "LTO-3": 400e9,
  "LTO-4": 800e9,
  "LTO-5": 1.5e12,
  "LTO-6": 2.5e12,
  "LTO-7": 6e12,
  "LTO-7-M8": 9e12,
  "LTO-8": 12e12,
  "LTO-9": 18e12,
  "LTO-10": 30e12,
} as const;

export type LtoNativeGeneration = keyof typeof LTO_NATIVE_BYTES;

const PUBLISHED = new Set<number>(Object.values(LTO_NATIVE_BYTES));

/**
 * Whether a capacity is a generation's published figure rather than one measured: a cartridge's
 * memory (MAM) counts whole MiB and a virtual cartridge its configured size, never exactly these.
 */
export function isNominalCapacity(bytes: number | null | undefined): boolean {
  return bytes !== null && bytes !== undefined && PUBLISHED.has(bytes);
}
