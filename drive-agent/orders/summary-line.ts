import { bytesInWords } from "../../contracts/units.ts";

/** The one info line a finished order leaves in its run's log, saying what it did. */

export function durationInWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

const files = (n: number) => `${n.toLocaleString("en-US")} file${n === 1 ? "" : "s"}`;
const rate = (bytes: number, ms: number) =>
  `${bytesInWords(Math.round(bytes / Math.max(ms / 1000, 0.001)))}/s`;

/** "backed up 60,214 files, 5.4 GB (4.1 GB on tape, ratio 1.32) to TB0001L9, TB0002L9 in 3 min 12 s at 28 MB/s" */
export function backupSummaryLine(s: {
  files: number;
  sourceBytes: number;
  tapeBytes: number;
  tapes: readonly string[];
  ms: number;
}): string {
  const ratio = s.tapeBytes > 0 ? (s.sourceBytes / s.tapeBytes).toFixed(2) : "–";
  return (
    `backed up ${files(s.files)}, ${bytesInWords(s.sourceBytes)} (${bytesInWords(s.tapeBytes)} on tape, ratio ${ratio}) ` +
    `to ${s.tapes.join(", ")} in ${durationInWords(s.ms)} at ${rate(s.sourceBytes, s.ms)}`
  );
}

/** "restored 12 files, 38 KB to /srv/restore in 4 s" (verify: "verified …, read from …"). */
export function readSummaryLine(s: {
  verb: "restored" | "verified";
  files: number;
  bytes: number;
  where: string;
  ms: number;
}): string {
  return `${s.verb} ${files(s.files)}, ${bytesInWords(s.bytes)} ${s.verb === "restored" ? "to" : "from"} ${s.where} in ${durationInWords(s.ms)} at ${rate(s.bytes, s.ms)}`;
}
