import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RestoreOrderBody } from "../../../contracts/agent-protocol.ts";
import { decodeToc, encodeToc, type Toc } from "../../../contracts/toc.ts";
import { libraryPaths } from "../../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { createRestoreExecutor } from "../../../drive-agent/orders/restore.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import {
  type Bench,
  createBench,
  firstTapeOf,
  restoreFileOf,
  runOnBenchDrive,
  treeSignature,
  writeSet,
} from "./helpers.ts";

const launcher = new URL("../../../drive-agent/bin/drive-agent.js", import.meta.url).pathname;
const agent = (...args: string[]) => runCommand({ argv: [launcher, ...args], timeoutMs: 60_000 });
const tapeFile = (barcode: string, n: number) =>
  join(libraryPaths(bench.dir).cartridge(barcode), `file-${String(n).padStart(4, "0")}`);
const tocOf = async (barcode: string, n: number) => {
  const decoded = decodeToc(await readFile(tapeFile(barcode, n)));
  if (decoded.kind !== "toc") throw new Error("no TOC");
  return decoded.toc;
};
const blocksRead = async () => {
  const state = JSON.parse(await readFile(libraryPaths(bench.dir).driveState(0), "utf8"));
  return state.counters.blocksRead as number;
};

let bench: Bench;
afterEach(async () => {
  expect(await listChildProcesses()).toEqual([]);
  await bench.cleanup();
});

async function manyFiles(root: string, count: number, bytes: number) {
  const src = join(root, "src");
  await mkdir(join(src, "data"), { recursive: true });
  for (let i = 0; i < count; i++)
    await writeFile(join(src, "data", `f-${String(i).padStart(4, "0")}.bin`), randomBytes(bytes));
  await writeFile(join(src, "data", "zz-last.txt"), "the last file of the set\n");
  return src;
}

describe("drive-agent restore from the tape alone (the CLI process)", () => {
  it("restores an encrypted zstd set with a base64 key file, byte-identical with modes, mtimes and symlinks", async () => {
    bench = await createBench();
    const src = join(bench.root, "src");
    await mkdir(join(src, "dir", "sub"), { recursive: true });
    await writeFile(join(src, "dir", "sub", "a.txt"), "alpha\n".repeat(1000), { mode: 0o640 });
    await writeFile(join(src, "dir", "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(src, "random.bin"), randomBytes(12 << 20));
    await runCommand({ argv: ["ln", "-s", "sub/a.txt", join(src, "dir", "link")] });
    const key = randomBytes(32);
    await writeSet(
      bench,
      src,
      {
        compression: "zstd",
        encryption: { algorithm: "aes-256-gcm", keyFingerprint: "fp", dataKeyJwe: "x" },
      },
      key,
    );
    const keyFile = join(bench.root, "key.b64");
    await writeFile(keyFile, `${key.toString("base64")}\n`);
    const out = join(bench.root, "out");

    const withoutKey = await agent("restore", "--tape", bench.dir, "--set", "1", "--to", out);
    expect(withoutKey.exitCode).toBe(2);
    expect(withoutKey.stderr).toContain("--key-file");

    const result = await agent(
      "restore",
      "--tape",
      bench.dir,
      "--drive",
      "0",
      "--set",
      "1",
      "--to",
      out,
      "--key-file",
      keyFile,
    );
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(await treeSignature(join(out, src.slice(1)))).toBe(await treeSignature(src));
    expect(await readlink(join(out, src.slice(1), "dir", "link"))).toBe("sub/a.txt");
  });

  it("restores one directory of a set and leaves existing files alone unless told to overwrite or rename", async () => {
    bench = await createBench();
    const src = await manyFiles(bench.root, 4, 1000);
    await mkdir(join(src, "other"));
    await writeFile(join(src, "other", "x.txt"), "x\n");
    await writeSet(bench, src, { compression: "gzip" });
    const out = join(bench.root, "out");
    const dirPath = `${src.slice(1)}/data`;
    expect((await agent("restore", bench.dir, "--set", "1", dirPath, "--to", out)).exitCode).toBe(0);
    expect(await treeSignature(join(out, dirPath))).toBe(await treeSignature(join(src, "data")));
    await expect(lstat(join(out, src.slice(1), "other"))).rejects.toThrow();

    const target = join(out, dirPath, "zz-last.txt");
    await writeFile(target, "mine\n");
    const skipped = await agent("restore", bench.dir, "--set", "1", `/${dirPath}/zz-last.txt`, "--to", out);
    expect(skipped.exitCode).toBe(0);
    expect(skipped.stderr).toContain("skipped");
    expect(await readFile(target, "utf8")).toBe("mine\n");
    await agent(
      "restore",
      bench.dir,
      "--set",
      "1",
      `${dirPath}/zz-last.txt`,
      "--to",
      out,
      "--overwrite",
      "rename",
    );
    expect(await readFile(`${target}.restored-1`, "utf8")).toBe("the last file of the set\n");
    await agent(
      "restore",
      bench.dir,
      "--set",
      "1",
      `${dirPath}/zz-last.txt`,
      "--to",
      out,
      "--overwrite",
      "overwrite",
    );
    expect(await readFile(target, "utf8")).toBe("the last file of the set\n");
  });
});

describe("a positioned restore", () => {
  it("reads only the blocks near one file at the end of a large set", async () => {
    bench = await createBench();
    const src = await manyFiles(bench.root, 40, 1 << 20);
    await writeSet(bench, src);
    const toc = await tocOf("TB0001L9", 2);
    const setBlocks = Math.ceil(toc.dataBytes / toc.blockSize);
    const before = await blocksRead();
    const out = join(bench.root, "out");
    const result = await agent(
      "restore",
      bench.dir,
      "--set",
      "1",
      `${src.slice(1)}/data/zz-last.txt`,
      "--to",
      out,
    );
    expect(result.exitCode).toBe(0);
    expect(await readFile(join(out, src.slice(1), "data", "zz-last.txt"), "utf8")).toBe(
      "the last file of the set\n",
    );
    const tocBlocks = 4;
    const read = (await blocksRead()) - before;
    expect(setBlocks).toBeGreaterThan(600);
    expect(read - tocBlocks).toBeLessThan(40);
  });

  it("reads only the chunk holding one file of a compressed set", async () => {
    bench = await createBench();
    const src = await manyFiles(bench.root, 40, 1 << 20);
    await writeSet(bench, src, { compression: "zstd" });
    const toc = await tocOf("TB0001L9", 2);
    const before = await blocksRead();
    const out = join(bench.root, "out");
    expect(
      (await agent("restore", bench.dir, "--set", "1", `${src.slice(1)}/data/zz-last.txt`, "--to", out))
        .exitCode,
    ).toBe(0);
    expect(await readFile(join(out, src.slice(1), "data", "zz-last.txt"), "utf8")).toBe(
      "the last file of the set\n",
    );
    // One 8 MiB chunk of random data is ~128 blocks; the set is ~640.
    expect((await blocksRead()) - before).toBeLessThan(Math.ceil(toc.dataBytes / toc.blockSize) / 3);
  });
});

describe("damage and hostile tapes", () => {
  it("fails the one file with a flipped byte loudly, by name, and restores the others", async () => {
    bench = await createBench();
    const src = await manyFiles(bench.root, 5, 100_000);
    await writeSet(bench, src);
    const toc = await tocOf("TB0001L9", 2);
    const victim = toc.files.find((f) => f.path.endsWith("f-0002.bin"));
    if (!victim) throw new Error("no victim");
    const data = await readFile(tapeFile("TB0001L9", 1));
    const at = victim.position.byteOffset + 512 + 5000;
    data.writeUInt8((data.readUInt8(at) ^ 0xff) & 0xff, at);
    await writeFile(tapeFile("TB0001L9", 1), data);
    const out = join(bench.root, "out");

    const restored = await agent("restore", bench.dir, "--set", "1", "--to", out);
    expect(restored.exitCode).toBe(1);
    expect(restored.stderr).toContain(`FAILED ${victim.path}: sha256 mismatch`);
    await expect(lstat(join(out, victim.path))).rejects.toThrow();
    for (const name of ["f-0000.bin", "f-0001.bin", "f-0003.bin", "f-0004.bin", "zz-last.txt"])
      expect(await readFile(join(out, src.slice(1), "data", name))).toEqual(
        await readFile(join(src, "data", name)),
      );

    const verified = await agent("verify", bench.dir, "--set", "1", "--json");
    expect(verified.exitCode).toBe(1);
    expect(JSON.parse(verified.stdout).failedFiles.map((f: { path: string }) => f.path)).toEqual([
      victim.path,
    ]);
  });

  it("keeps members named ../../etc/x and /etc/x inside the destination", async () => {
    bench = await createBench();
    const src = await manyFiles(bench.root, 1, 10);
    await writeSet(bench, src);
    // Hand-craft the set's data file: GNU tar keeps hostile member names with --absolute-names.
    const craft = join(bench.root, "craft");
    await mkdir(join(craft, "etc"), { recursive: true });
    await writeFile(join(craft, "etc", "x"), "owned\n");
    await writeFile(join(craft, "etc", "y"), "owned too\n");
    const made = await runCommand({
      argv: [
        "bash",
        "-c",
        `cd "${craft}/etc" && tar -cf "${tapeFile("TB0001L9", 1)}" -b 128 --format=gnu --absolute-names --transform='s,^x$,../../etc/x,;s,^y$,/etc/x,' x y && tar -tvf "${tapeFile("TB0001L9", 1)}"`,
      ],
      timeoutMs: 10_000,
    });
    expect(made.stdout).toContain("../../etc/x");
    expect(made.stdout).toContain("/etc/x");
    const toc = await tocOf("TB0001L9", 2);
    const crafted: Toc = { ...toc, files: [] };
    await writeFile(tapeFile("TB0001L9", 2), encodeToc(crafted));
    const out = join(bench.root, "deep", "out");

    const result = await agent("restore", bench.dir, "--set", "1", "--to", out);
    expect(result.stderr).toContain('FAILED ../../etc/x: member "../../etc/x" contains ".."');
    expect(await readFile(join(out, "etc", "x"), "utf8")).toBe("owned too\n");
    await expect(lstat(join(bench.root, "etc"))).rejects.toThrow();
    await expect(lstat(join(bench.root, "deep", "etc"))).rejects.toThrow();
  });
});

describe("the restore work order", () => {
  it("restores the files the hub names, reports each file and fails, with the counts, when one is not restored", async () => {
    bench = await createBench();
    const src = await manyFiles(bench.root, 3, 50_000);
    const order = await writeSet(bench, src, { compression: "zstd" });
    const toc = await tocOf("TB0001L9", 2);
    const files = toc.files.filter((f) => f.type === "file");
    const restoreOrder: RestoreOrderBody = {
      kind: "restore",
      runId: 2,
      set: {
        uuid: order.set.uuid,
        compression: "zstd",
        encryption: { algorithm: "none", keyFingerprint: null, dataKeyJwe: null },
        blockSize: 65536,
      },
      files: files.map((f, i) => restoreFileOf(f, i === 1 ? { sha256: "0".repeat(64) } : {})),
      tapes: [firstTapeOf(bench)],
      destination: join(bench.root, "out"),
      overwrite: "skip",
      drive: { devicePath: "vtl0" },
    };
    const { result, reporter } = await runOnBenchDrive(
      bench,
      createRestoreExecutor({ progressIntervalMs: 20 }),
      restoreOrder,
    );
    // A file the operator asked for and did not get fails the restore, with the counts in words.
    expect(result.state).toBe("failed");
    expect(result.error).toContain(`${files.length - 1} of ${files.length} files restored`);
    expect(result.error).toContain("1 not restored (the run's log names each)");
    expect(result.error).toContain(files[1]?.path);
    expect(reporter.restoreFiles.map((f) => f.outcome)).toEqual(
      files.map((_, i) => (i === 1 ? "failed" : "restored")),
    );
    expect(reporter.progressReports.length).toBeGreaterThan(0);
    expect(await readFile(join(bench.root, "out", files[0]?.path ?? ""))).toEqual(
      await readFile(`/${files[0]?.path}`),
    );
  });
});

describe("what a restore reports", () => {
  it("reports the bytes it wrote, not where it read in the set, and logs what it restored", async () => {
    bench = await createBench();
    const src = await manyFiles(bench.root, 12, 1 << 20);
    const order = await writeSet(bench, src, { compression: "zstd" });
    const toc = await tocOf("TB0001L9", 2);
    // The last file: 12 MiB into the set's stream, 25 bytes long.
    const wanted = toc.files.filter((f) => f.type === "file").slice(-1);
    const bytes = wanted.reduce((sum, f) => sum + f.size, 0);
    const out = join(bench.root, "out");
    const restoreOrder: RestoreOrderBody = {
      kind: "restore",
      runId: 3,
      set: {
        uuid: order.set.uuid,
        compression: "zstd",
        encryption: { algorithm: "none", keyFingerprint: null, dataKeyJwe: null },
        blockSize: 65536,
      },
      files: wanted.map((f) => restoreFileOf(f)),
      tapes: [firstTapeOf(bench)],
      destination: out,
      overwrite: "skip",
      drive: { devicePath: "vtl0" },
    };
    const { result, reporter } = await runOnBenchDrive(
      bench,
      createRestoreExecutor({ progressIntervalMs: 20 }),
      restoreOrder,
    );
    expect(result.state, result.error ?? "").toBe("completed");
    expect(result.summary).toMatchObject({ files: 1, sourceBytes: bytes });
    expect(bytes).toBe(25);
    for (const report of reporter.progressReports) {
      expect(report.bytesTotal).toBe(bytes);
      expect(report.bytesDone).toBeLessThanOrEqual(bytes);
    }
    const summary = reporter.logLines.filter((l) => l.level === "info" && l.message.startsWith("restored "));
    expect(summary).toHaveLength(1);
    expect(summary[0]?.message).toMatch(new RegExp(`^restored 1 file, ${bytes} B to ${out} in \\d+ s at `));
  });
});

describe("a set that spans tapes", () => {
  it("restores the whole set from the tapes alone, loading the next tape from the library", async () => {
    bench = await createBench({ capacityBytes: 16 << 20, earlyWarningBytes: 6 << 20 });
    const src = await manyFiles(bench.root, 20, 1 << 20);
    await writeSet(bench, src, {
      continuationTapes: [bench.tapes.TB0002L9, bench.tapes.TB0003L9].filter((t) => t !== undefined),
    });
    expect((await tocOf("TB0001L9", 2)).tape.continues).toBe(true);
    const out = join(bench.root, "out");
    const result = await agent("restore", bench.dir, "--set", "1", "--to", out);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(await treeSignature(join(out, src.slice(1)))).toBe(await treeSignature(src));
  });
});
