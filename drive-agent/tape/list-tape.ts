import { pipeline } from "node:stream/promises";
import { TOC_MAGIC } from "../../contracts/toc.ts";
import { DEFAULT_BLOCK_SIZE, type Drive } from "../drives/drive.ts";
import { isDriveError } from "../errors.ts";
import { spawnStreaming } from "../exec.ts";
import { readTapeLabel, type TapeIdentity } from "./label-tape.ts";
import { readTapeFile } from "./read-tape-file.ts";
import { decodeSetToc, type SetToc } from "./set-toc.ts";

const MAX_TOC_BYTES = 256 << 20;

export type TapeListing = {
  identity: TapeIdentity;
  /** Backup sets found by their TOC (data file followed by TOC file). */
  sets: Array<{ dataFile: number; tocFile: number } & SetToc>;
  /** Tape files with no TOC after them (plain tar tapes, an interrupted set), listed with tar. */
  plainFiles: Array<{ file: number; entries: string[]; tarError: string | null }>;
};

export type TapeItem =
  | { kind: "set"; set: TapeListing["sets"][number] }
  | { kind: "plain"; plain: TapeListing["plainFiles"][number] };

/** Lists what a tape holds, the way an operator without the catalog would: label, then TOCs, else tar. */
export async function listTape(drive: Drive, options: { signal?: AbortSignal } = {}): Promise<TapeListing> {
  const identity = await readTapeLabel(drive);
  const listing: TapeListing = { identity, sets: [], plainFiles: [] };
  for await (const item of readTapeItems(drive, identity, options)) {
    if (item.kind === "set") listing.sets.push(item.set);
    else listing.plainFiles.push(item.plain);
  }
  return listing;
}

/**
 * The tape's sets (by their TOC) and TOC-less files (listed with tar) one at a time, so a caller
 * can hand each on before the next is read: a tape of many large sets is never held whole.
 * Rewinds at the end.
 */
export async function* readTapeItems(
  drive: Drive,
  identity: TapeIdentity,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<TapeItem> {
  if (identity.kind === "blank") return;
  const files = identity.filesOnTape;
  let file = identity.kind === "labelled" ? 1 : 0;
  while (file < files) {
    const toc = file + 1 < files ? await readTocAt(drive, file + 1) : null;
    if (toc) {
      yield { kind: "set", set: { dataFile: file, tocFile: file + 1, ...toc } };
      file += 2;
      continue;
    }
    yield { kind: "plain", plain: { file, ...(await listWithTar(drive, file, options.signal)) } };
    file += 1;
  }
  await drive.rewind();
}

// Rewind + space forward: slower than relative moves, but always lands on the first block of `file`.
async function goToFile(drive: Drive, file: number): Promise<void> {
  await drive.rewind();
  if (file > 0) await drive.forwardSpaceFiles(file);
}

async function readTocAt(drive: Drive, file: number): Promise<SetToc | null> {
  await goToFile(drive, file);
  try {
    // One block is enough to tell a TOC from tar data, so a large data file is never read whole.
    const first = await drive.read(DEFAULT_BLOCK_SIZE);
    if (first.type !== "data" || !first.data.subarray(0, 4096).toString("utf8").includes(TOC_MAGIC))
      return null;
    const rest = await readTapeFile(drive, MAX_TOC_BYTES);
    return decodeSetToc(Buffer.concat([first.data, rest.data]));
  } catch (error) {
    if (isDriveError(error, "BLOCK_SIZE_MISMATCH")) return null;
    throw error;
  }
}

async function listWithTar(drive: Drive, file: number, signal?: AbortSignal) {
  await goToFile(drive, file);
  const { stream, done } = await drive.openReadStream();
  // -B: a pipe delivers short reads; tar must reassemble full records instead of failing.
  const tar = spawnStreaming({ argv: ["tar", "-tv", "-B", "-f", "-"], signal, stdout: "pipe" });
  const output: Buffer[] = [];
  tar.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
  if (!tar.stdin) throw new Error("tar stdin not piped");
  // tar stops reading at the end-of-archive blocks; the rest of the file is not needed.
  await pipeline(stream, tar.stdin).catch(() => undefined);
  const result = await tar;
  stream.destroy();
  await done.catch(() => undefined);
  const entries = Buffer.concat(output).toString("utf8").split("\n").filter(Boolean);
  const tarError =
    result.exitCode === 0 ? null : String(result.stderr).trim() || `tar exited ${result.exitCode}`;
  return { entries, tarError };
}
