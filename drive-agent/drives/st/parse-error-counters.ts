/** One direction's error counters, from sg_logs page 0x02 (write) or 0x03 (read). */
export type ErrorCounterPage = {
  direction: "write" | "read";
  corrected: number;
  uncorrected: number;
  bytesProcessed: number;
};

/**
 * Parses `sg_logs -p 0x2 <sg>` or `-p 0x3`: "  Total errors corrected = 12" lines under a
 * "Write error counter page" (or "Read ...") header; vendor-specific parameters are ignored.
 */
export function parseErrorCounters(output: string): ErrorCounterPage {
  const header = /^(Write|Read) error counter page/im.exec(output);
  if (!header?.[1]) throw new Error("sg_logs output has no 'Write/Read error counter page' header");
  const values = new Map<string, number>();
  for (const line of output.split("\n")) {
    const param = /^\s+(.+?)\s*=\s*(\d+)\s*$/.exec(line);
    if (param?.[1] && param[2]) values.set(param[1].toLowerCase(), Number(param[2]));
  }
  const value = (name: string) => values.get(name) ?? 0;
  return {
    direction: header[1].toLowerCase() === "write" ? "write" : "read",
    corrected: value("total errors corrected"),
    uncorrected: value("total uncorrected errors"),
    bytesProcessed: value("total bytes processed"),
  };
}
