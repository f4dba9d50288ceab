/** LTO generation from a barcode's last two characters; unknown suffixes stay unknown (null). */
const SUFFIXES: Record<string, string> = {
  L1: "LTO-1",
  L2: "LTO-2",
  L3: "LTO-3",
  L4: "LTO-4",
  L5: "LTO-5",
  L6: "LTO-6",
  L7: "LTO-7",
  M8: "LTO-7 Type M",
  L8: "LTO-8",
  L9: "LTO-9",
  LT: "LTO-3 WORM",
  LU: "LTO-4 WORM",
  LV: "LTO-5 WORM",
  LW: "LTO-6 WORM",
  LX: "LTO-7 WORM",
  LY: "LTO-8 WORM",
  LZ: "LTO-9 WORM",
};

export function mediaTypeOf(barcode: string): string | null {
  if (isCleaningBarcode(barcode)) return "cleaning";
  return SUFFIXES[barcode.slice(-2).toUpperCase()] ?? null;
}

/** Cleaning cartridges carry CLN barcodes (CLNA0001, CLN001CU). */
export function isCleaningBarcode(barcode: string): boolean {
  return /^CLN/i.test(barcode);
}
