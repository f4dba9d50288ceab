import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VtlDrive } from "../../../drive-agent/drives/vtl/vtl-drive.ts";
import { restoreSet, type Selected } from "../../../drive-agent/orders/restore/restore-set.ts";
import { pathMatcher, pickSet, TapeSetSource } from "../../../drive-agent/orders/restore/tape-set-source.ts";
import type { FileOutcome } from "../../../drive-agent/orders/restore/tar-extract.ts";
import { listTape } from "../../../drive-agent/tape/list-tape.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import { createTree } from "../pipeline/helpers.ts";
import { type Bench, createBench, treeSignature, writeSet } from "./helpers.ts";

let bench: Bench;

afterEach(async () => {
  expect(await listChildProcesses()).toEqual([]);
  await bench.cleanup();
});

/** Restores `paths` of the first set on the loaded tape into `to`; returns per-file outcomes and blocks read. */
async function restore(
  paths: string[],
  to: string,
  options: { key?: Uint8Array; overwrite?: "skip" | "overwrite" | "rename" } = {},
) {
  const drive = await VtlDrive.open({ dir: bench.dir, index: 0 });
  try {
    const listing = await listTape(drive);
    const found = pickSet(listing.sets, "1");
    const before = drive.counters().blocksRead;
    const source = new TapeSetSource(drive, found.toc.setId, null, async (m) => {
      throw new Error(m);
    });
    source.adopt(found, drive.barcode);
    const matches = pathMatcher(paths);
    const selection: Selected[] | "all" =
      paths.length === 0
        ? "all"
        : found.toc.files
            .filter((f) => matches(f.path))
            .map((f) => ({
              path: f.path,
              offset: f.position.byteOffset,
              sha256: f.sha256,
              size: f.size,
              segment: 0,
            }));
    const files: FileOutcome[] = [];
    await mkdir(to, { recursive: true });
    const summary = await restoreSet({
      source,
      shape: {
        uuid: found.toc.setId,
        compression: found.toc.compression,
        key: options.key ?? null,
        blockSize: found.toc.blockSize,
      },
      selection,
      destination: to,
      overwrite: options.overwrite ?? "skip",
      owners: false,
      onFile: (f) => {
        files.push(f);
      },
    });
    return { summary, files, blocksRead: drive.counters().blocksRead - before, toc: found.toc };
  } finally {
    await drive.close();
  }
}

describe("restoring from a set on tape", () => {
  let src: string;
  beforeEach(async () => {
    bench = await createBench();
    src = await createTree(bench.root, { bigBytes: 2 << 20 });
  });

  it("restores one file deep in the tree byte-identical with its mode and mtime", async () => {
    await writeSet(bench, src);
    const deep = `${src.slice(1)}/${"a".repeat(60)}/${"b".repeat(60)}/${"c".repeat(90)}.txt`;
    const out = join(bench.root, "out");
    const { summary, files } = await restore([deep], out);
    expect(summary).toMatchObject({ restored: 1, failed: 0 });
    expect(files.map((f) => f.outcome)).toEqual(["restored"]);
    expect(await readFile(join(out, deep), "utf8")).toBe(await readFile(`/${deep}`, "utf8"));
  });

  it("restores the whole set with modes, mtimes, symlinks and hard links exactly as the source", async () => {
    await writeSet(bench, src);
    const out = join(bench.root, "out");
    const { summary } = await restore([], out);
    expect(summary.failed).toBe(0);
    expect(await treeSignature(join(out, src.slice(1)))).toBe(await treeSignature(src));
  });
});
