import { randomBytes, randomUUID } from "node:crypto";
import { lstat, mkdtemp, readdir, readFile, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TapeTarget } from "../../../contracts/agent-protocol.ts";
import { decodeToc } from "../../../contracts/toc.ts";
import { initLibrary, libraryPaths } from "../../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { createBackupExecutor } from "../../../drive-agent/orders/backup.ts";
import { decryptChunk, uuidBytes } from "../../../drive-agent/pipeline/chunk-format.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import {
  backupOrder,
  createTree,
  executorContext,
  FakeReporter,
  labelAll,
  MARKER,
  openLibraryDrive,
  sha256sums,
} from "./helpers.ts";

const BARCODES = ["TB0001L9", "TB0002L9", "TB0003L9"];
let root: string;
let dir: string;
let src: string;
let tapes: Record<string, TapeTarget>;
let drive: Awaited<ReturnType<typeof openLibraryDrive>>;

async function setUp(
  capacityBytes: number,
  earlyWarningBytes?: number,
  bigBytes?: number,
  options: { writeBytes?: number } = {},
) {
  root = await mkdtemp(join(tmpdir(), "tapebackarr-pipeline-"));
  dir = join(root, "lib");
  await initLibrary({ dir, drives: 1, slots: 4, cartridges: 3, capacityBytes, earlyWarningBytes });
  tapes = await labelAll(dir, BARCODES);
  src = await createTree(root, { bigBytes });
  drive = await openLibraryDrive(dir, 0, options);
}

const vanish = (absolute: string) => {
  if (absolute.endsWith("vanishes.txt")) void unlink(absolute);
};
const run = createBackupExecutor({ progressIntervalMs: 20, tapePollMs: 10, onSourceListed: vanish });
const tapeFile = (barcode: string, n: number) =>
  join(libraryPaths(dir).cartridge(barcode), `file-${String(n).padStart(4, "0")}`);
const tape = (barcode: string) => tapes[barcode] as TapeTarget;
// tar stops at its end-of-archive blocks; the rest of the last record must still be read, or the
// writer upstream dies of SIGPIPE under pipefail whenever it is slower than tar to finish.
const DRAIN = "cat >/dev/null";
const sh = async (script: string) => {
  const result = await runCommand({ argv: ["bash", "-euo", "pipefail", "-c", script], timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`${script}: ${result.stderr}`);
  return result.stdout;
};

afterEach(async () => {
  await drive?.close().catch(() => undefined);
  expect(await listChildProcesses()).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

describe("a full backup to one tape", () => {
  beforeEach(() => setUp(64 << 20));

  it("catalogs every member with its sha256, reports the vanished file as a warning and writes a tar readable by tar", async () => {
    const reporter = new FakeReporter();
    const order = backupOrder(tape("TB0001L9"), src);
    const result = await run(order, executorContext(drive.drive, reporter, join(root, "work")));

    expect(result.state).toBe("completed-with-warnings");
    const entries = reporter.entries();
    const byPath = new Map(entries.map((e) => [e[0], e]));
    const sums = await sha256sums(src);
    expect(sums.size).toBeGreaterThan(50);
    for (const [path, sum] of sums) {
      const entry = byPath.get(path);
      expect(entry?.[1], path).toMatch(/^(file|hardlink)$/);
      if (entry?.[1] === "file") expect(entry[8], path).toBe(sum);
    }
    const base = src.slice(1);
    expect(byPath.get(`${base}/<img src=x onerror=alert(1)>.txt`)?.[2]).toBe(MARKER.length + 8);
    expect(byPath.get(`${base}/héllo wörld ✓ 日本.txt`)?.[1]).toBe("file");
    expect(byPath.get(`${base}/empty-1`)?.[8]).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(byPath.get(`${base}/link-to-notes`)?.slice(1, 2)).toEqual(["symlink"]);
    expect(byPath.get(`${base}/link-to-notes`)?.[7]).toBe("docs/notes.txt");
    expect(byPath.get(`${base}/docs/empty dir`)?.[1]).toBe("dir");
    const hard = [byPath.get(`${base}/hard-notes.txt`), byPath.get(`${base}/docs/notes.txt`)];
    expect(hard.map((e) => e?.[1]).sort()).toEqual(["file", "hardlink"]);
    expect(byPath.has(`${base}/vanishes.txt`)).toBe(false);
    expect(reporter.logLines).toContainEqual(
      expect.objectContaining({ level: "warn", path: join(src, "vanishes.txt") }),
    );
    expect(new Set(entries.map((e) => `${e[10]}-${e[11]}-${e[12]}`))).toEqual(new Set(["0-0-false"]));
    expect(reporter.chunks.map((c) => c.seq)).toEqual(reporter.chunks.map((_, i) => i));

    // Plain tar on tape: tar lists it, and every header offset points at that member's header.
    const listing = await sh(`tar -t -b 128 -R -f "${tapeFile("TB0001L9", 1)}"`);
    for (const line of listing.split("\n").filter((l) => l.startsWith("block ") && !l.includes("**"))) {
      const [, block, name] = /^block (\d+): (.*)$/.exec(line) ?? [];
      expect(byPath.get(String(name).replace(/\/$/, ""))?.[9], name).toBe(Number(block) * 512);
    }
    const toc = decodeToc(await readFile(tapeFile("TB0001L9", 2)));
    expect(toc.kind === "toc" && toc.toc.files.length).toBe(entries.length);
    expect(toc.kind === "toc" && toc.toc.tape).toMatchObject({
      label: "T1",
      sequence: 1,
      dataFile: 1,
      continues: false,
    });
    expect(reporter.segments).toEqual([
      expect.objectContaining({
        sequence: 0,
        tapeBarcode: "TB0001L9",
        fileNumber: 1,
        complete: true,
        nextFile: 3,
        tapeFull: false,
      }),
    ]);
    const progress = reporter.progressReports;
    expect(progress[0]).toMatchObject({ state: "running", tapeBarcode: "TB0001L9" });
    expect(result.summary).toMatchObject({ files: entries.length, warnings: 1 });
  });

  it("writes a zstd set that zstd -dc | tar -t reads and whose chunk index lets a restore start mid-set", async () => {
    const reporter = new FakeReporter();
    const exec = createBackupExecutor({ progressIntervalMs: 20, plainChunkBytes: 1 << 20 });
    const order = backupOrder(tape("TB0001L9"), src, { compression: "zstd" });
    expect((await exec(order, executorContext(drive.drive, reporter, join(root, "work")))).state).toBe(
      "completed",
    );
    const names = (await sh(`zstd -dc "${tapeFile("TB0001L9", 1)}" | { tar -t && ${DRAIN}; }`))
      .split("\n")
      .filter(Boolean);
    expect(names).toHaveLength(reporter.entries().length);
    const text = (await readFile(tapeFile("TB0001L9", 2), "utf8")).replace(/\0+$/, "");
    const toc = JSON.parse(text);
    expect(toc.stream.chunks.length).toBeGreaterThan(2);
    // The last file: find its chunk, decompress from that chunk's offset on, and extract it alone.
    const file = toc.files.findLast((f: { type: string }) => f.type === "file");
    const chunk = toc.stream.chunks.findLast((c: number[]) => (c[1] as number) <= file.position.byteOffset);
    const out = join(root, "restore");
    await sh(
      `mkdir -p "${out}" && tail -c +$((${chunk[2]} + 1)) "${tapeFile("TB0001L9", 1)}" | zstd -dc | tail -c +$((${file.position.byteOffset - chunk[1]} + 1)) | { tar -x --occurrence=1 -C "${out}" "${file.path}" && ${DRAIN}; } ; cd "${out}" && sha256sum "${file.path}"`,
    );
    expect(await sh(`cd "${out}" && sha256sum "${file.path}"`)).toContain(file.sha256);
  });

  it("feeds a drive that is not in-process (st) through a real mbuffer process; the vtl gets an in-process buffer", async () => {
    // A shim ahead of the real mbuffer on PATH records every start (docs/adr/0002).
    const shim = join(root, "shim");
    const log = join(root, "mbuffer.log");
    const real = (await sh("command -v mbuffer")).trim();
    await sh(
      `mkdir -p "${shim}" && printf '#!/bin/sh\necho "$*" >> "${log}"\nexec "${real}" "$@"\n' > "${shim}/mbuffer" && chmod +x "${shim}/mbuffer"`,
    );
    const path = process.env.PATH;
    process.env.PATH = `${shim}:${path}`;
    try {
      const exec = createBackupExecutor({ progressIntervalMs: 20, plainChunkBytes: 1 << 20 });
      const vtl = await exec(
        backupOrder(tape("TB0001L9"), src, { compression: "zstd" }),
        executorContext(drive.drive, new FakeReporter(), join(root, "w1")),
      );
      expect(vtl.state).toBe("completed");
      expect(await readFile(log, "utf8").catch(() => "")).toBe("");
      // The same drive without its in-process mark stands for an st drive.
      const inner = drive.drive;
      const stLike = new Proxy(inner, {
        get: (target, prop) => (prop === "inProcess" ? undefined : Reflect.get(target, prop)),
      });
      const reporter = new FakeReporter();
      const st = await exec(
        backupOrder({ ...tape("TB0001L9"), nextFile: 3 }, src, { compression: "zstd" }),
        executorContext(stLike, reporter, join(root, "w2")),
      );
      expect(st.state).toBe("completed");
      expect(await readFile(log, "utf8")).toMatch(/-m \d+k -s 65536/);
      const names = (await sh(`zstd -dc "${tapeFile("TB0001L9", 3)}" | { tar -t && ${DRAIN}; }`))
        .split("\n")
        .filter(Boolean);
      expect(names).toHaveLength(reporter.entries().length);
    } finally {
      process.env.PATH = path;
    }
  });

  it("encrypts in chunks so no plaintext reaches the tape, and each chunk decrypts alone with the key", async () => {
    const reporter = new FakeReporter();
    const key = randomBytes(32);
    const order = backupOrder(tape("TB0001L9"), src, {
      compression: "zstd",
      encryption: { algorithm: "aes-256-gcm", keyFingerprint: "fp-1", dataKeyJwe: "x" },
    });
    const result = await run(
      order,
      executorContext(drive.drive, reporter, join(root, "work"), { dataKey: key }),
    );
    expect(result.state).toBe("completed-with-warnings");
    const data = await readFile(tapeFile("TB0001L9", 1));
    expect(data.includes(MARKER)).toBe(false);
    expect(data.includes("onerror")).toBe(false);
    expect(data.includes(Buffer.from("notes.txt"))).toBe(false);
    const record = data.subarray(0, data.indexOf("TBC1", 40) === -1 ? data.length : data.indexOf("TBC1", 40));
    const { header } = decryptChunk(key, uuidBytes(order.set.uuid), record);
    expect(header.index).toBe(0);
    expect(() =>
      decryptChunk(key, uuidBytes(order.set.uuid.replace(/^./, (c) => (c === "0" ? "1" : "0"))), record),
    ).toThrow();
    const toc = JSON.parse((await readFile(tapeFile("TB0001L9", 2), "utf8")).replace(/\0+$/, ""));
    expect(toc.encryption).toEqual({ algorithm: "aes-256-gcm-chunked", keyFingerprint: "fp-1" });
    // The run's log says where the stream spent its time and which stage held it back.
    expect(reporter.logLines).toContainEqual(
      expect.objectContaining({
        level: "info",
        message: expect.stringMatching(
          /^stream stages over .*encoder 1 thread busy \d+ %.*; held back by \S/,
        ),
      }),
    );
  });

  it("fails the run, saying which worker died, when a compress/encrypt worker thread stops mid-set", async () => {
    const reporter = new FakeReporter();
    const dying = createBackupExecutor({
      progressIntervalMs: 20,
      tapePollMs: 10,
      onEncodeWorkers: (workers) => void workers.threads[0]?.terminate(),
    });
    const order = backupOrder(tape("TB0001L9"), src, {
      compression: "zstd",
      encryption: { algorithm: "aes-256-gcm", keyFingerprint: "fp-1", dataKeyJwe: "x" },
    });
    const result = await dying(
      order,
      executorContext(drive.drive, reporter, join(root, "work"), { dataKey: randomBytes(32) }),
    );
    expect(result.state).toBe("failed");
    expect(result.error).toMatch(/the zstd \+ AES-256-GCM encoder worker thread stopped \(exit code \d+\)/);
    expect(reporter.logLines).toContainEqual(
      expect.objectContaining({ level: "error", message: result.error }),
    );
  });

  it("refuses a tape whose label is not the one the order names, and writes nothing", async () => {
    const reporter = new FakeReporter();
    const order = backupOrder({ ...tape("TB0001L9"), label: "OTHER", uuid: "u-2" }, src);
    const result = await run(order, executorContext(drive.drive, reporter, join(root, "work")));
    expect(result).toMatchObject({ state: "failed", retryable: false });
    expect(result.error).toContain('found tape "T1"');
    expect(result.error).toContain('expected tape "OTHER"');
    expect(await readdir(libraryPaths(dir).cartridge("TB0001L9"))).not.toContain("file-0001");
  });

  it("keeps tape files the catalog does not know and appends after them, with a warning", async () => {
    const first = await run(
      backupOrder(tape("TB0001L9"), src),
      executorContext(drive.drive, new FakeReporter(), join(root, "w1")),
    );
    expect(first.state).toBe("completed-with-warnings");
    const result = await run(
      backupOrder(tape("TB0001L9"), src),
      executorContext(drive.drive, new FakeReporter(), join(root, "w2")),
    );
    // The order still says the set starts at file 1: the first set's files 1..2 must survive.
    expect(result.state).toBe("completed-with-warnings");
    expect(await readdir(libraryPaths(dir).cartridge("TB0001L9"))).toEqual(
      expect.arrayContaining(["file-0001", "file-0002", "file-0003", "file-0004"]),
    );
    const appended = await run(
      backupOrder({ ...tape("TB0001L9"), nextFile: 5 }, src),
      executorContext(drive.drive, new FakeReporter(), join(root, "w3")),
    );
    expect(appended.state).toBe("completed");
    expect(await readdir(libraryPaths(dir).cartridge("TB0001L9"))).toContain("file-0006");
  });

  it("stops cleanly on cancel: the data file is closed, a TOC of what was written follows, the result is cancelled", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let writes = 0;
    drive.hooks.beforeWrite = async () => {
      if (++writes === 2) await gate;
    };
    const reporter = new FakeReporter((report) => {
      if (report.bytesDone > 0 && writes >= 2) {
        setImmediate(release);
        return "cancel";
      }
      return "continue";
    });
    const exec = createBackupExecutor({ progressIntervalMs: 20 });
    await writeFile(join(src, "more.bin"), randomBytes(12 << 20));
    const order = backupOrder(tape("TB0001L9"), src);
    const result = await exec(order, executorContext(drive.drive, reporter, join(root, "work")));
    expect(result.state).toBe("cancelled");
    expect(reporter.segments).toEqual([
      expect.objectContaining({ complete: false, tapeFull: false, nextFile: 3 }),
    ]);
    const toc = decodeToc(await readFile(tapeFile("TB0001L9", 2)));
    expect(toc.kind).toBe("toc");
    const cart = JSON.parse(
      await readFile(join(libraryPaths(dir).cartridge("TB0001L9"), "cartridge.json"), "utf8"),
    );
    expect(cart.files.map((f: { marked: boolean }) => f.marked)).toEqual([true, true, true]);
    expect(JSON.parse((await readFile(tapeFile("TB0001L9", 2), "utf8")).replace(/\0+$/, "")).complete).toBe(
      false,
    );
  });

  it("pauses the drive while the operator says pause and finishes after continue", async () => {
    let paused = 0;
    const reporter = new FakeReporter((report) => {
      if (report.state === "paused") paused++;
      return paused === 0 || (paused < 3 && report.state === "paused") ? "pause" : "continue";
    });
    const result = await run(
      backupOrder(tape("TB0001L9"), src),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state).toBe("completed-with-warnings");
    expect(paused).toBeGreaterThanOrEqual(3);
  });

  it("stops as interrupted when the agent's signal aborts", async () => {
    const abort = new AbortController();
    const reporter = new FakeReporter(() => {
      abort.abort();
      return "continue";
    });
    const result = await run(
      backupOrder(tape("TB0001L9"), src),
      executorContext(drive.drive, reporter, join(root, "work"), { signal: abort.signal }),
    );
    expect(result.state).toBe("interrupted");
    expect(reporter.segments[0]?.complete).toBe(false);
  });

  it("backs up what changed in an incremental, whatever its times, and records what was deleted since the base", async () => {
    const work = join(root, "work");
    const full = backupOrder(tape("TB0001L9"), src);
    await run(full, executorContext(drive.drive, new FakeReporter(), work));
    await writeFile(join(src, "docs", "small-3.txt"), "changed before the mark");
    await unlink(join(src, "docs", "small-4.txt"));
    // The mark is after every ctime in the tree: an accurate incremental compares each path with the
    // base's manifest, so small-3 (changed before the mark) goes in too, as times are not the test.
    let mark = 0;
    for (const path of await readdir(src, { recursive: true }))
      mark = Math.max(mark, (await lstat(join(src, path))).ctimeMs);
    mark = Math.ceil(mark) + 1;
    await writeFile(join(src, "docs", "small-5.txt"), "changed after the mark");
    await utimes(join(src, "docs", "small-5.txt"), new Date(mark + 60_000), new Date(mark + 60_000));
    const reporter = new FakeReporter();
    const incremental = backupOrder({ ...tape("TB0001L9"), nextFile: 3 }, src, {
      set: {
        uuid: crypto.randomUUID(),
        backupType: "incremental",
        changedSince: new Date(mark).toISOString(),
        baseSetUuid: full.set.uuid,
      },
    });
    const result = await run(incremental, executorContext(drive.drive, reporter, work));
    expect(result.state).toBe("completed");
    const base = src.slice(1);
    const entries = reporter.entries();
    expect(entries.filter((e) => !e[12] && e[1] !== "dir").map((e) => e[0])).toEqual([
      `${base}/docs/small-3.txt`,
      `${base}/docs/small-5.txt`,
    ]);
    expect(entries.filter((e) => e[12]).map((e) => [e[0], e[1]])).toEqual([
      [`${base}/docs/small-4.txt`, "file"],
      [`${base}/vanishes.txt`, "file"],
    ]);
  });
});

describe("a set larger than one cartridge", () => {
  // The early-warning zone must hold a 4 MiB transfer plus the TOC, as the (GB-sized) zone of LTO
  // does; the drive writes 4 MiB at a time (as st does), so the 20 MiB set fills exactly two tapes.
  beforeEach(() => setUp(16 << 20, 6 << 20, 20 << 20, { writeBytes: 4 << 20 }));

  it("spans two tapes with the changer and the catalog says where each file is", async () => {
    const reporter = new FakeReporter();
    const order = backupOrder(tape("TB0001L9"), src, {
      continuationTapes: [tape("TB0002L9"), tape("TB0003L9")],
    });
    const result = await run(
      order,
      executorContext(drive.drive, reporter, join(root, "work"), { changer: drive.changer }),
    );
    expect(result.state).toBe("completed-with-warnings");
    expect(reporter.segments.map((s) => [s.sequence, s.tapeBarcode, s.tapeFull, s.complete])).toEqual([
      [0, "TB0001L9", true, true],
      [1, "TB0002L9", false, true],
    ]);
    const [first, second] = reporter.segments;
    expect(second?.streamOffset).toBe(first?.bytes);
    const big = reporter.entries().find((e) => e[0].endsWith("/big.bin"));
    expect(big?.slice(10, 12)).toEqual([0, 1]);
    const sums = await sha256sums(src);
    const joined = await sh(
      `cat "${tapeFile("TB0001L9", 1)}" "${tapeFile("TB0002L9", 1)}" | { tar -t -f - && ${DRAIN}; } | wc -l`,
    );
    expect(Number(joined.trim())).toBe(reporter.entries().length);
    expect(big?.[8]).toBe(sums.get(`${src.slice(1)}/big.bin`));
    const listed: string[] = [];
    for (const [barcode, continues] of [
      ["TB0001L9", true],
      ["TB0002L9", false],
    ] as const) {
      const toc = decodeToc(await readFile(tapeFile(barcode, 2)));
      expect(toc.kind === "toc" && toc.toc.tape.continues).toBe(continues);
      if (toc.kind === "toc") listed.push(...toc.toc.files.map((f) => f.path));
    }
    // Each file is in the TOC of the tape holding its header, the one that runs onto the next tape too:
    // without the catalog, the TOCs are all a scan has.
    expect(listed.sort()).toEqual(
      reporter
        .entries()
        .filter((e) => !e[12])
        .map((e) => e[0])
        .sort(),
    );
  });

  it("waits for the operator without a changer and names the tapes that would do", async () => {
    let inserted = false;
    const reporter = new FakeReporter((report) => {
      if (report.state === "waiting-for-tape" && !inserted) {
        inserted = true;
        void drive.swap("TB0003L9");
      }
      return "continue";
    });
    const order = backupOrder(tape("TB0001L9"), src, { continuationTapes: [tape("TB0003L9")] });
    const result = await run(order, executorContext(drive.drive, reporter, join(root, "work")));
    expect(result.state).toBe("completed-with-warnings");
    const waiting = reporter.progressReports.find((r) => r.state === "waiting-for-tape");
    expect(waiting?.message).toContain('TB0003L9 ("T3")');
    expect(reporter.segments.map((s) => s.tapeBarcode)).toEqual(["TB0001L9", "TB0003L9"]);
  });

  it("goes on with the changer onto a tape the hub offers while it waits, after refusing one whose label is not the one offered", async () => {
    const reporter = new FakeReporter((report) => {
      if (report.state === "waiting-for-tape" && reporter.offered.length === 0)
        reporter.offered = [{ ...tape("TB0002L9"), uuid: randomUUID() }, tape("TB0003L9")];
      return "continue";
    });
    const order = backupOrder(tape("TB0001L9"), src);
    const result = await run(
      order,
      executorContext(drive.drive, reporter, join(root, "work"), { changer: drive.changer }),
    );
    expect(result.state).toBe("completed-with-warnings");
    const waiting = reporter.progressReports.find((r) => r.state === "waiting-for-tape");
    expect(waiting?.message).toContain('label a new tape into pool "weekly"');
    expect(reporter.segments.map((s) => [s.tapeBarcode, s.complete])).toEqual([
      ["TB0001L9", true],
      ["TB0003L9", true],
    ]);
    expect(reporter.logLines.map((l) => l.message).join("\n")).toMatch(/skipping tape TB0002L9: wrong tape/);
    // The tape whose label did not match holds its label and nothing else.
    await expect(readdir(libraryPaths(dir).cartridge("TB0002L9"))).resolves.not.toContain("file-0001");
  });
});

describe("a set larger than a 64 MiB cartridge with the library's default early warning", () => {
  // Issue 11: the default zone was 1.3 MiB here, smaller than one transfer, so a write hit the physical end.
  beforeEach(() => setUp(64 << 20, undefined, 80 << 20));

  it("spans onto the next cartridge and every file stays catalogued", async () => {
    const reporter = new FakeReporter();
    const order = backupOrder(tape("TB0001L9"), src, {
      continuationTapes: [tape("TB0002L9"), tape("TB0003L9")],
    });
    const result = await run(
      order,
      executorContext(drive.drive, reporter, join(root, "work"), { changer: drive.changer }),
    );
    expect(result.state, "error" in result ? String(result.error) : "").toBe("completed-with-warnings");
    expect(reporter.segments.map((s) => [s.tapeBarcode, s.tapeFull, s.complete])).toEqual([
      ["TB0001L9", true, true],
      ["TB0002L9", false, true],
    ]);
    const big = reporter.entries().find((e) => e[0].endsWith("/big.bin"));
    expect(big?.[8]).toBe((await sha256sums(src)).get(`${src.slice(1)}/big.bin`));
    const joined = await sh(
      `cat "${tapeFile("TB0001L9", 1)}" "${tapeFile("TB0002L9", 1)}" | { tar -t -f - && ${DRAIN}; } | wc -l`,
    );
    expect(Number(joined.trim())).toBe(reporter.entries().length);
  });
});
