/** A changer's inventory, the same shape for mtx and the virtual library. */
export type ChangerInventory = {
  device: string | null;
  drives: Array<{ index: number; full: boolean; sourceSlot: number | null; barcode: string | null }>;
  slots: Array<{ slot: number; full: boolean; barcode: string | null; importExport: boolean }>;
};

/**
 * Parses `mtx -f /dev/sgN status`. Drive lines use "VolumeTag = X", slot lines "VolumeTag=X";
 * tags are space padded, and slots read by a changer without a barcode reader have no tag.
 */
export function parseMtxStatus(output: string): ChangerInventory {
  const header = /Storage Changer (\S+):(\d+) Drives, (\d+) Slots \( (\d+) Import\/Export \)/.exec(output);
  if (!header) throw new Error("mtx status output has no 'Storage Changer' header");
  const inventory: ChangerInventory = { device: header[1] ?? null, drives: [], slots: [] };
  for (const line of output.split("\n")) {
    const drive =
      /^Data Transfer Element (\d+):(Full|Empty)(?: \((?:Storage Element (\d+) Loaded|Unknown Storage Element Loaded)\))?(?::VolumeTag\s*=\s*(.*?))?(?::AlternateVolumeTag.*)?\s*$/.exec(
        line,
      );
    if (drive) {
      inventory.drives.push({
        index: Number(drive[1]),
        full: drive[2] === "Full",
        sourceSlot: drive[3] ? Number(drive[3]) : null,
        barcode: tagOf(drive[4]),
      });
      continue;
    }
    const slot =
      /^\s*Storage Element (\d+)( IMPORT\/EXPORT)?:(Full|Empty)\s*(?::VolumeTag\s*=\s*(.*?))?(?::AlternateVolumeTag.*)?\s*$/.exec(
        line,
      );
    if (slot) {
      inventory.slots.push({
        slot: Number(slot[1]),
        full: slot[3] === "Full",
        barcode: tagOf(slot[4]),
        importExport: Boolean(slot[2]),
      });
    }
  }
  return inventory;
}

function tagOf(raw: string | undefined): string | null {
  const tag = raw?.trim();
  return tag ? tag : null;
}

export type MtxOperation =
  | { op: "status" }
  | { op: "inventory" }
  | { op: "load"; slot: number; drive: number }
  | { op: "unload"; slot: number; drive: number }
  | { op: "transfer"; from: number; to: number };

/** mtx numbers slots from 1 and drives from 0, as its status output does. */
export function buildMtxArgv(device: string, operation: MtxOperation): [string, ...string[]] {
  const base: [string, ...string[]] = ["mtx", "-f", device];
  switch (operation.op) {
    case "load":
    case "unload":
      return [...base, operation.op, String(operation.slot), String(operation.drive)];
    case "transfer":
      return [...base, "transfer", String(operation.from), String(operation.to)];
    default:
      return [...base, operation.op];
  }
}
