/**
 * GNU tar reading its member list (NUL-separated tar names, relative to /) from stdin and writing
 * the archive to `archive` (stdout by default; the backup uses a FIFO it reads into pooled buffers).
 */
export function tarCreateArgv(blockSize: number, archive = "-"): [string, ...string[]] {
  // One tar record per tape block for a plain set, so `tar -b` reads the tape as tar wrote it.
  const blocking = Math.max(1, Math.min(4096, Math.floor(blockSize / 512)));
  return [
    "tar",
    "--create",
    `--file=${archive}`,
    `--blocking-factor=${blocking}`,
    "--format=gnu",
    // Holes are stored as a map, not as zeros, so a sparse file restores sparse (docs/adr/0004).
    "--sparse",
    "--directory=/",
    "--null",
    "--verbatim-files-from",
    "--no-recursion",
    "--files-from=-",
    // A file that vanishes or cannot be read is a warning on the set, not the end of the backup.
    "--ignore-failed-read",
  ];
}

/** mbuffer between the encoder and the drive writer: keeps the drive streaming over hiccups. */
export function mbufferArgv(bytes: number, blockSize: number): [string, ...string[]] {
  return ["mbuffer", "-q", "-m", `${Math.max(1, Math.round(bytes / 1024))}k`, "-s", String(blockSize)];
}

export type TarDiagnostic = { level: "warn" | "error"; message: string; path: string | null };

const KNOWN =
  /^tar: (.+?): (?:Warning: )?(Cannot \w+: .+|file changed as we read it|File removed before we read it|File shrank by \d+ bytes; padding with zeros|Read error at byte .+|socket ignored|file is the archive; not dumped|Removing leading .+)$/;

/** One line of tar's stderr as a job-log line; a vanished or unreadable file is a warning. */
export function parseTarDiagnostic(line: string): TarDiagnostic | null {
  const text = line.trim();
  if (text === "" || text.startsWith("tar: Exiting with failure status")) return null;
  const match = KNOWN.exec(text);
  if (match?.[1] && match[2]) return { level: "warn", message: match[2], path: `/${match[1]}` };
  return { level: text.includes("Error is not recoverable") ? "error" : "warn", message: text, path: null };
}
