import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { LABEL_BLOCK_SIZE } from "../../../contracts/label.ts";
import { encodeToc, TOC_MAGIC, TOC_VERSION, type Toc, type TocFile } from "../../../contracts/toc.ts";
import { DEFAULT_BLOCK_SIZE, type Drive } from "../../../drive-agent/drives/drive.ts";
import { runCommand } from "../../../drive-agent/exec.ts";

/**
 * Writes one backup set the way the pipeline will: a GNU tar data file in 64 KiB records, then a
 * TOC file, each closed by a file mark. Positions come from `tar -tR` (header block numbers).
 */
export async function writeTestSet(
  drive: Drive,
  input: { src: string; workDir: string; setId: string; jobName?: string; tapeLabel?: string },
): Promise<{ toc: Toc; dataFile: number; tocFile: number }> {
  const startedAt = new Date().toISOString();
  const archive = join(input.workDir, `${input.setId}.tar`);
  const blockingFactor = String(DEFAULT_BLOCK_SIZE / 512);
  await mustRun(["tar", "-c", "-b", blockingFactor, "-f", archive, "-C", input.src, "."]);
  const listing = await mustRun(["tar", "-t", "-R", "-f", archive]);
  const files: TocFile[] = [];
  for (const line of listing.split("\n")) {
    const match = /^block (\d+): (.+)$/.exec(line);
    if (!match?.[1] || !match[2] || match[2] === "./" || match[2].startsWith("** ")) continue;
    const path = match[2].replace(/^\.\//, "").replace(/\/$/, "");
    const byteOffset = Number(match[1]) * 512;
    files.push(await describeFile(input.src, path, byteOffset));
  }
  const dataFile = (await drive.status()).fileNumber;
  const data = await drive.openWriteStream();
  await pipeline(createReadStream(archive, { highWaterMark: 1 << 20 }), data.stream);
  const written = await data.done;
  const toc: Toc = {
    magic: TOC_MAGIC,
    version: TOC_VERSION,
    setId: input.setId,
    job: { id: `job-${input.setId}`, name: input.jobName ?? "test job" },
    startedAt,
    finishedAt: new Date().toISOString(),
    tape: { label: input.tapeLabel ?? "", uuid: "", sequence: 1, dataFile, continues: false },
    compression: "none",
    encryption: { algorithm: "none", keyFingerprint: null },
    blockSize: DEFAULT_BLOCK_SIZE,
    dataBytes: written.bytes,
    files,
  };
  const tocWrite = await drive.openWriteStream();
  tocWrite.stream.end(Buffer.from(encodeToc(toc)));
  const tocDone = await tocWrite.done;
  return { toc, dataFile, tocFile: tocDone.fileNumber };
}

async function describeFile(src: string, path: string, byteOffset: number): Promise<TocFile> {
  const full = join(src, path);
  const info = await lstat(full);
  const type = info.isFile()
    ? "file"
    : info.isDirectory()
      ? "directory"
      : info.isSymbolicLink()
        ? "symlink"
        : "other";
  return {
    path,
    size: info.isFile() ? info.size : 0,
    mtime: info.mtime.toISOString(),
    mode: `0${(info.mode & 0o7777).toString(8).padStart(3, "0")}`,
    type,
    sha256: info.isFile()
      ? createHash("sha256")
          .update(await readFile(full))
          .digest("hex")
      : null,
    position: { byteOffset, block: Math.floor(byteOffset / DEFAULT_BLOCK_SIZE) },
    ...(type === "symlink" ? { linkTarget: await readlink(full) } : {}),
  };
}

/**
 * Writes `src` as a plain GNU tar data file in 64 KiB records with no TOC after it, as Go
 * TapeBackarr, plain tar or a set cut short leaves one; the archive is `name` in `workDir`.
 */
export async function writePlainTar(drive: Drive, src: string, workDir: string, name: string): Promise<void> {
  const archive = join(workDir, name);
  await mustRun(["tar", "-c", "-b", String(DEFAULT_BLOCK_SIZE / 512), "-f", archive, "-C", src, "."]);
  const data = await drive.openWriteStream();
  await pipeline(createReadStream(archive), data.stream);
  await data.done;
}

/** The short label an older Go TapeBackarr wrote: one 512-byte block `TAPEBACKARR|label|time`, a mark. */
export async function writeGoShortLabel(drive: Drive, label: string, timestamp: number): Promise<void> {
  await drive.setBlockSize(LABEL_BLOCK_SIZE);
  const block = Buffer.alloc(LABEL_BLOCK_SIZE);
  block.write(`TAPEBACKARR|${label}|${timestamp}`);
  await drive.write(block);
  await drive.writeFileMarks(1);
  await drive.setBlockSize(DEFAULT_BLOCK_SIZE);
}

async function mustRun(argv: [string, ...string[]]): Promise<string> {
  const result = await runCommand({ argv, timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr}`);
  return result.stdout;
}
