/** Byte counts in words, as the hub's pages and the agent's log lines both say them (1000-based). */
const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

export function bytesInWords(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}
