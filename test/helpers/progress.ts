/**
 * The progress counters of an order that has done nothing measurable yet: what an agent reports
 * and a run page shows before the first byte. Spread it and put the fields a test cares about on top.
 */
export const NO_PROGRESS = {
  bytesDone: 0,
  bytesTotal: null,
  filesDone: 0,
  filesTotal: null,
  currentPath: null,
  rateBytesPerSec: null,
  etaSeconds: null,
  tapeBarcode: null,
} as const;
