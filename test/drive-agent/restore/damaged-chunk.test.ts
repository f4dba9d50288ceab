import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RestoreOrderBody, VerifyOrderBody } from "../../../contracts/agent-protocol.ts";
import { libraryPaths } from "../../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { createRestoreExecutor } from "../../../drive-agent/orders/restore.ts";
import { createVerifyExecutor } from "../../../drive-agent/orders/verify.ts";
import { decodeSetToc, type SetToc } from "../../../drive-agent/tape/set-toc.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import { type Bench, createBench, firstTapeOf, restoreFileOf, runOnBenchDrive, writeSet } from "./helpers.ts";

const launcher = new URL("../../../drive-agent/bin/drive-agent.js", import.meta.url).pathname;
const tapeFile = (barcode: string, n: number) =>
  join(libraryPaths(bench.dir).cartridge(barcode), `file-${String(n).padStart(4, "0")}`);

let bench: Bench;
afterEach(async () => {
  expect(await listChildProcesses()).toEqual([]);
  await bench.cleanup();
});

/**
 * A zstd + AES-256-GCM set of 40 random files of 600 KiB (whole tar blocks, so each member spans
 * exactly [its header, the next member's header)), over three 8 MiB chunks and a bit; one byte of
 * the second chunk's ciphertext flipped on tape.
 */
async function damagedSet(encrypted = true) {
  bench = await createBench();
  const src = join(bench.root, "src");
  await mkdir(join(src, "data"), { recursive: true });
  for (let i = 0; i < 40; i++)
    await writeFile(join(src, "data", `f-${String(i).padStart(2, "0")}.bin`), randomBytes(600 * 1024));
  const key = encrypted ? randomBytes(32) : null;
  const encryption = encrypted
    ? { algorithm: "aes-256-gcm" as const, keyFingerprint: "fp", dataKeyJwe: "x" }
    : { algorithm: "none" as const, keyFingerprint: null, dataKeyJwe: null };
  const written = await writeSet(bench, src, { compression: "zstd", encryption }, key);
  const found = decodeSetToc(await readFile(tapeFile("TB0001L9", 2))) as SetToc;
  const chunks = found.stream.chunks;
  expect(chunks.length).toBeGreaterThanOrEqual(3);
  const [, start, onTape] = chunks[1] as [number, number, number];
  const end = (chunks[2] as [number, number, number])[1];
  const data = await readFile(tapeFile("TB0001L9", 1));
  // Inside the chunk's ciphertext (after its 40-byte header), or inside its zstd frame.
  const at = onTape + 40 + 100_000;
  data.writeUInt8(data.readUInt8(at) ^ 0x40, at);
  await writeFile(tapeFile("TB0001L9", 1), data);
  const members = [...found.toc.files].sort((a, b) => a.position.byteOffset - b.position.byteOffset);
  const tarEnd = Number.MAX_SAFE_INTEGER;
  const inChunk = members
    .filter((m, i) => {
      const next = members[i + 1]?.position.byteOffset ?? tarEnd;
      return m.position.byteOffset < end && next > start;
    })
    .map((m) => m.path);
  const tape = firstTapeOf(bench);
  const set = {
    uuid: written.set.uuid,
    compression: "zstd" as const,
    encryption,
    blockSize: 65536,
  };
  return { src, key, toc: found.toc, members, inChunk, tape, set };
}

describe("a damaged chunk in a compressed set", () => {
  it.each([
    ["zstd + AES-256-GCM", true],
    ["zstd alone", false],
  ])(
    "%s: verify names exactly the files in the damaged chunk, and reads every chunk after it",
    async (_, encrypted) => {
      const { key, inChunk, members, tape, set } = await damagedSet(encrypted);
      expect(inChunk.length).toBeGreaterThanOrEqual(13);
      const order: VerifyOrderBody = {
        kind: "verify",
        runId: 3,
        set,
        tapes: [tape],
        drive: { devicePath: "vtl0" },
      };
      const { result, reporter } = await runOnBenchDrive(
        bench,
        createVerifyExecutor({ progressIntervalMs: 20 }),
        order,
        key,
      );
      const damaged = reporter.logLines.filter((l) => l.level === "error");
      expect(damaged.map((l) => l.path).sort()).toEqual([...inChunk].sort());
      for (const line of damaged) expect(line.message).toContain("damaged on tape TB0001L9");
      expect(result.state).toBe("failed");
      expect(result.error).toMatch(new RegExp(`^${inChunk.length} files damaged: `));
      expect(result.error).toContain("chunk 1 ");
      // Every member was looked at: the ones before the chunk and the ones after it verified.
      expect(result.summary?.files).toBe(members.length);
    },
  );

  it("a restore of the whole set fails exactly those files, loudly, and restores every other byte-identical", async () => {
    const { src, key, inChunk, members, tape, set } = await damagedSet();
    const out = join(bench.root, "out");
    const order: RestoreOrderBody = {
      kind: "restore",
      runId: 4,
      set,
      files: members.map((m) => restoreFileOf(m)),
      tapes: [tape],
      destination: out,
      overwrite: "skip",
      drive: { devicePath: "vtl0" },
    };
    const { result, reporter } = await runOnBenchDrive(
      bench,
      createRestoreExecutor({ progressIntervalMs: 20 }),
      order,
      key,
    );
    expect(result.state).toBe("failed");
    const failed = reporter.restoreFiles.filter((f) => f.outcome === "failed");
    expect(result.error).toContain(`${inChunk.length} not restored`);
    expect(failed.map((f) => f.path).sort()).toEqual([...inChunk].sort());
    for (const f of failed)
      expect(f.error).toMatch(/chunk 1 .* is damaged \(chunk 1 \(tar offset \d+\) fails its GCM tag/);
    expect(result.error).toContain(inChunk[0]);
    const good = members.filter((m) => m.type === "file" && !inChunk.includes(m.path));
    expect(good.length).toBeGreaterThan(20);
    for (const m of good)
      expect(await readFile(join(out, m.path)), m.path).toEqual(await readFile(`/${m.path}`));
    for (const path of inChunk) await expect(lstat(join(out, path))).rejects.toThrow();
    expect(good.some((m) => m.path.endsWith("f-39.bin"))).toBe(true);
    void src;
  });

  it("the tape-only CLI verify names the same files and exits 1", async () => {
    const { key, inChunk } = await damagedSet();
    const keyFile = join(bench.root, "key.hex");
    await writeFile(keyFile, key?.toString("hex") ?? "");
    const verified = await runCommand({
      argv: [launcher, "verify", bench.dir, "--set", "1", "--key-file", keyFile, "--json"],
      timeoutMs: 60_000,
    });
    expect(verified.exitCode).toBe(1);
    const report = JSON.parse(verified.stdout) as { failedFiles: { path: string }[]; errors: string[] };
    expect(report.failedFiles.map((f) => f.path).sort()).toEqual([...inChunk].sort());
    expect(report.errors.join(" ")).toContain("read on from tar offset");
  });
});
