import { createHash } from "node:crypto";
import { lstat, mkdir, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { runCommand } from "../../drive-agent/exec.ts";

/** A name of exactly NAME_MAX (255) bytes. */
export const LONGEST_NAME = `${"n".repeat(251)}.txt`;
export const NEWLINE_NAME = "line\nbreak.txt";
export const SPARSE_BYTES = 64 << 20;
export const SPARSE_DATA = "data in the middle of holes\n";

/**
 * A tree with every type a backup keeps (issue 11): a 255-byte name, a name with a newline, a
 * FIFO, a character device (mknod c 1 3, as root), a sparse file that starts and ends in a hole.
 */
export async function createEveryTypeTree(root: string): Promise<string> {
  const src = join(root, "src");
  await mkdir(join(src, "dev"), { recursive: true });
  await writeFile(join(src, LONGEST_NAME), "the longest name\n");
  await writeFile(join(src, NEWLINE_NAME), "a newline in my name\n");
  await writeFile(join(src, "plain.txt"), "plain\n");
  const sparse = await open(join(src, "sparse.img"), "w");
  try {
    await sparse.write(SPARSE_DATA, 10 << 20);
    await sparse.write(SPARSE_DATA, 40 << 20);
    await sparse.truncate(SPARSE_BYTES);
  } finally {
    await sparse.close();
  }
  await run(["mkfifo", "-m", "640", join(src, "dev", "pipe")]);
  await run(["mknod", "-m", "666", join(src, "dev", "null"), "c", "1", "3"]);
  return src;
}

async function run(argv: [string, ...string[]]) {
  const result = await runCommand({ argv });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr}`);
}

/** Everything createEveryTypeTree made is at `dir` again, of the same type, with its content. */
export async function expectEveryType(dir: string): Promise<void> {
  expect(await readFile(join(dir, LONGEST_NAME), "utf8")).toBe("the longest name\n");
  expect(await readFile(join(dir, NEWLINE_NAME), "utf8")).toBe("a newline in my name\n");
  const pipe = await lstat(join(dir, "dev", "pipe"));
  expect(pipe.isFIFO()).toBe(true);
  expect(pipe.mode & 0o7777).toBe(0o640);
  const device = await lstat(join(dir, "dev", "null"));
  expect(device.isCharacterDevice()).toBe(true);
  expect([Math.floor(device.rdev / 256), device.rdev % 256]).toEqual([1, 3]);
  const sparse = await lstat(join(dir, "sparse.img"));
  expect(sparse.size).toBe(SPARSE_BYTES);
  // Two 4 KiB data blocks of 64 MiB: kept sparse (a fully allocated copy takes 64 MiB).
  expect(sparse.blocks * 512).toBeLessThan(1 << 20);
  const content = await readFile(join(dir, "sparse.img"));
  expect(content.toString("utf8", 10 << 20, (10 << 20) + SPARSE_DATA.length)).toBe(SPARSE_DATA);
  expect(content.toString("utf8", 40 << 20, (40 << 20) + SPARSE_DATA.length)).toBe(SPARSE_DATA);
  const expected = Buffer.alloc(SPARSE_BYTES);
  expected.write(SPARSE_DATA, 10 << 20);
  expected.write(SPARSE_DATA, 40 << 20);
  expect(createHash("sha256").update(content).digest("hex")).toBe(
    createHash("sha256").update(expected).digest("hex"),
  );
  const listed = await lstat(join(dir, "plain.txt"));
  expect(listed.isFile()).toBe(true);
}
