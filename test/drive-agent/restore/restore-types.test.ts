import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RestoreOrderBody } from "../../../contracts/agent-protocol.ts";
import { decodeToc } from "../../../contracts/toc.ts";
import { libraryPaths } from "../../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { temporaryName } from "../../../drive-agent/orders/restore/place-node.ts";
import { freeName } from "../../../drive-agent/orders/restore/safe-path.ts";
import { TarExtractor } from "../../../drive-agent/orders/restore/tar-extract.ts";
import { createRestoreExecutor } from "../../../drive-agent/orders/restore.ts";
import { TarParser } from "../../../drive-agent/pipeline/tar-parser.ts";
import {
  createEveryTypeTree,
  expectEveryType,
  LONGEST_NAME,
  NEWLINE_NAME,
} from "../../helpers/every-type-tree.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import { type Bench, createBench, firstTapeOf, restoreFileOf, runOnBenchDrive, writeSet } from "./helpers.ts";

const launcher = new URL("../../../drive-agent/bin/drive-agent.js", import.meta.url).pathname;
const agent = (...args: string[]) => runCommand({ argv: [launcher, ...args], timeoutMs: 60_000 });

let bench: Bench;
afterEach(async () => {
  expect(await listChildProcesses()).toEqual([]);
  await bench.cleanup();
});

async function firstToc() {
  const file = join(libraryPaths(bench.dir).cartridge("TB0001L9"), "file-0002");
  const decoded = decodeToc(await readFile(file));
  if (decoded.kind !== "toc") throw new Error("no TOC");
  return decoded.toc;
}

describe("every type that was backed up comes back", () => {
  it("restores a 255-byte name, a newline in a name, a FIFO, a device node and a sparse file from a restore order", async () => {
    bench = await createBench();
    const src = await createEveryTypeTree(bench.root);
    const key = randomBytes(32);
    const order = await writeSet(
      bench,
      src,
      {
        compression: "zstd",
        encryption: { algorithm: "aes-256-gcm", keyFingerprint: "fp", dataKeyJwe: "x" },
      },
      key,
    );
    const toc = await firstToc();
    const out = join(bench.root, "out");
    const restoreOrder: RestoreOrderBody = {
      kind: "restore",
      runId: 2,
      set: {
        uuid: order.set.uuid,
        compression: "zstd",
        encryption: { algorithm: "aes-256-gcm", keyFingerprint: "fp", dataKeyJwe: "x" },
        blockSize: 65536,
      },
      // As the hub names them: every entry of the catalog, by offset.
      files: toc.files.map((f) => restoreFileOf(f)),
      tapes: [firstTapeOf(bench)],
      destination: out,
      overwrite: "skip",
      drive: { devicePath: "vtl0" },
    };
    const { result, reporter } = await runOnBenchDrive(
      bench,
      createRestoreExecutor({ progressIntervalMs: 20 }),
      restoreOrder,
      key,
    );
    expect(result.error).toBeUndefined();
    expect(result.state).toBe("completed");
    expect(reporter.restoreFiles.filter((f) => f.outcome !== "restored")).toEqual([]);
    await expectEveryType(join(out, src.slice(1)));
    // No temporary name is left behind, however long the name was.
    expect((await readdir(join(out, src.slice(1)))).filter((n) => n.includes(".tbr-"))).toEqual([]);
  });

  it("restores the same tree with drive-agent restore from a plain set on the tape alone", async () => {
    bench = await createBench();
    const src = await createEveryTypeTree(bench.root);
    await writeSet(bench, src);
    const out = join(bench.root, "out");
    const result = await agent("restore", "--tape", bench.dir, "--drive", "0", "--set", "1", "--to", out);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    await expectEveryType(join(out, src.slice(1)));
  });

  it("restores one file with a 255-byte name and one with a newline by path with drive-agent restore", async () => {
    bench = await createBench();
    const src = await createEveryTypeTree(bench.root);
    await writeSet(bench, src, { compression: "gzip" });
    const out = join(bench.root, "out");
    const result = await agent(
      "restore",
      bench.dir,
      "--set",
      "1",
      `${src.slice(1)}/${LONGEST_NAME}`,
      `${src.slice(1)}/${NEWLINE_NAME}`,
      "--to",
      out,
    );
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect((await readdir(join(out, src.slice(1)))).sort()).toEqual([LONGEST_NAME, NEWLINE_NAME].sort());
  });

  it("writes a member whose name leaves no room for the temporary suffix under a short temporary name", () => {
    expect(temporaryName(`/r/d/${LONGEST_NAME}`)).toMatch(/^\/r\/d\/\.tbr-[0-9a-f]{8}$/);
    expect(temporaryName("/r/d/short.txt")).toMatch(/^\/r\/d\/\.short\.txt\.tbr-[0-9a-f]{8}$/);
    // 241 bytes of a 2-byte character: 242 + 14 bytes would pass NAME_MAX.
    expect(temporaryName(`/r/${"é".repeat(121)}`)).toMatch(/^\/r\/\.tbr-/);
  });

  it("renames beside an existing file with a 255-byte name to a name that still fits NAME_MAX", async () => {
    const root = await mkdtemp(join(tmpdir(), "tapebackarr-free-name-"));
    bench = { root, dir: root, tapes: {}, cleanup: () => rm(root, { recursive: true, force: true }) };
    const name = await freeName(join(root, `${"é".repeat(127)}x`));
    expect(Buffer.byteLength(name.slice(root.length + 1))).toBeLessThanOrEqual(255);
    expect(name).toMatch(/é\.restored-1$/);
  });
});

describe("GNU sparse members", () => {
  it("reads a sparse map that goes on in extension headers, hashing and restoring the whole file with its holes", async () => {
    const root = await mkdtemp(join(tmpdir(), "tapebackarr-sparse-"));
    // afterEach removes it as it removes a bench.
    bench = { root, dir: root, tapes: {}, cleanup: () => rm(root, { recursive: true, force: true }) };
    // 30 data regions: 4 fit the main header, the rest need two extension headers.
    const file = await open(join(root, "many-holes.img"), "w");
    for (let i = 0; i < 30; i++) await file.write(`region ${i}\n`.repeat(100), i * (1 << 20));
    await file.truncate(31 << 20);
    await file.close();
    const archive = await runCommand({
      argv: ["bash", "-c", "tar --format=gnu --sparse -cf - many-holes.img | base64 -w0"],
      cwd: root,
    });
    const tar = Buffer.from(archive.stdout, "base64");
    expect(String.fromCharCode(tar[156] ?? 0)).toBe("S");
    const sum = (await runCommand({ argv: ["sha256sum", "many-holes.img"], cwd: root })).stdout.slice(0, 64);

    const members: { size: number; sha256: string | null; type: string }[] = [];
    new TarParser((m) => members.push(m)).push(tar);
    expect(members).toEqual([expect.objectContaining({ type: "file", size: 31 << 20, sha256: sum })]);

    const out = join(root, "out");
    await mkdir(out);
    const outcomes: string[] = [];
    const extractor = new TarExtractor(0, {
      destination: out,
      overwrite: "skip",
      owners: false,
      wanted: () => ({ path: "many-holes.img", offset: 0, sha256: sum, size: 31 << 20 }),
      onFile: (f) => {
        outcomes.push(`${f.outcome} ${f.error ?? ""}`);
      },
    });
    // In small pieces, so regions and headers are cut across buffers.
    for (let at = 0; at < tar.length; at += 700) await extractor.push(tar.subarray(at, at + 700));
    await extractor.finish();
    expect(outcomes).toEqual(["restored "]);
    const restored = await stat(join(out, "many-holes.img"));
    expect(restored.size).toBe(31 << 20);
    expect(restored.blocks * 512).toBeLessThan(1 << 20);
    expect((await runCommand({ argv: ["sha256sum", "many-holes.img"], cwd: out })).stdout.slice(0, 64)).toBe(
      sum,
    );
  });
});

describe("device nodes without root", () => {
  it("fails a device node by name, saying only root may create it, and still restores the FIFO beside it", async () => {
    const root = await mkdtemp(join(tmpdir(), "tapebackarr-nodes-"));
    bench = { root, dir: root, tapes: {}, cleanup: () => rm(root, { recursive: true, force: true }) };
    await mkdir(join(root, "src"));
    await runCommand({ argv: ["mknod", join(root, "src", "null"), "c", "1", "3"] });
    await runCommand({ argv: ["mkfifo", join(root, "src", "pipe")] });
    const archive = await runCommand({
      argv: ["bash", "-c", "tar --format=gnu -cf - null pipe | base64 -w0"],
      cwd: join(root, "src"),
    });
    const out = join(root, "out");
    await mkdir(out);
    const outcomes: string[] = [];
    const extractor = new TarExtractor(0, {
      destination: out,
      overwrite: "skip",
      owners: false,
      wanted: () => "any",
      onFile: (f) => {
        outcomes.push(`${f.path} ${f.outcome}: ${f.error}`);
      },
    });
    const uid = vi.spyOn(process, "getuid").mockReturnValue(1000);
    try {
      await extractor.push(Buffer.from(archive.stdout, "base64"));
      await extractor.finish();
    } finally {
      uid.mockRestore();
    }
    expect(outcomes).toEqual([
      "null failed: char device 1,3 not restored: only root may create device nodes (run the restore as root)",
      "pipe restored: null",
    ]);
    expect(await readdir(out)).toEqual(["pipe"]);
  });
});
