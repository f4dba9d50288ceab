/** Every mt-st operation the st drive uses, as one value, so argv building is a tested pure function. */
export type MtOperation =
  | { op: "status" }
  | { op: "rewind" }
  | { op: "load" }
  | { op: "offline" }
  | { op: "eject" }
  | { op: "fsf"; count: number }
  | { op: "bsf"; count: number }
  | { op: "fsr"; count: number }
  | { op: "bsr"; count: number }
  | { op: "eod" }
  | { op: "weof"; count: number }
  | { op: "seek"; block: number }
  | { op: "tell" }
  | { op: "setblk"; bytes: number }
  | { op: "erase" }
  /** `mt erase 0`: the st driver sends ERASE with LONG=0 for a zero count (end of data here). */
  | { op: "short-erase" }
  | { op: "lock" }
  | { op: "unlock" }
  | { op: "compression"; enabled: boolean };

export function buildMtArgv(device: string, operation: MtOperation): [string, ...string[]] {
  const base: [string, ...string[]] = ["mt", "-f", device];
  switch (operation.op) {
    case "fsf":
    case "bsf":
    case "fsr":
    case "bsr":
    case "weof":
      return [...base, operation.op, String(positiveCount(operation.count))];
    case "seek":
      return [...base, "seek", String(nonNegative(operation.block, "block"))];
    case "setblk":
      return [...base, "setblk", String(nonNegative(operation.bytes, "block size"))];
    case "short-erase":
      return [...base, "erase", "0"];
    case "compression":
      return [...base, "compression", operation.enabled ? "1" : "0"];
    default:
      return [...base, operation.op];
  }
}

// mt treats a missing or zero count as 1; refusing it here keeps "space 0 files" from moving the tape.
function positiveCount(count: number): number {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  return count;
}

function nonNegative(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  return value;
}
