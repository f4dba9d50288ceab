/** Native (uncompressed) capacity of each LTO generation, from the LTO consortium's figures. */
const NATIVE_BYTES: Record<string, number> = {
  "LTO-5": 1.5e12,
  "LTO-6": 2.5e12,
  "LTO-7": 6e12,
  "LTO-8": 12e12,
  "LTO-9": 18e12,
  "LTO-10": 30e12,
};

/** The tape's capacity: what the agent reported (vtl size, drive MAM), else its generation's native one. */
export function capacityOf(tape: { capacityBytes: number | null; generation: string | null }): number | null {
  return tape.capacityBytes ?? (tape.generation ? (NATIVE_BYTES[tape.generation] ?? null) : null);
}
