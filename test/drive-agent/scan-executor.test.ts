import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ScanOrderBody,
  type ScanSegmentDone,
  type ScanSetAnswer,
  type ScanSetReport,
  type ScanTapeReport,
  scanChunkSeq,
} from "../../contracts/agent-protocol.ts";
import type { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { catalogEntries, executeScan, type ScanHub } from "../../drive-agent/orders/scan.ts";
import { labelTape } from "../../drive-agent/tape/label-tape.ts";
import { listChildProcesses } from "./helpers/child-processes.ts";
import { createSourceTree, loadedDriveForEachTest, type TestLibrary } from "./helpers/vtl-fixture.ts";
import { writeGoShortLabel, writePlainTar, writeTestSet } from "./helpers/write-test-set.ts";
import { executorContext, FakeReporter } from "./pipeline/helpers.ts";

/** A hub that records what the scan executor tells it, in order, and answers as told. */
class FakeScanHub implements ScanHub {
  calls: Array<["tape", ScanTapeReport] | ["set", ScanSetReport] | ["segment", ScanSegmentDone]> = [];
  constructor(private readonly status: ScanSetAnswer["status"] = "new-set") {}
  async tape(report: ScanTapeReport) {
    this.calls.push(["tape", report]);
    return { barcode: report.barcode ?? "NONE", tapeId: 1 };
  }
  async set(report: ScanSetReport) {
    this.calls.push(["set", report]);
    return { status: this.status, setId: 1 };
  }
  async segmentDone(report: ScanSegmentDone) {
    this.calls.push(["segment", report]);
  }
}

let library: TestLibrary;
let drive: VtlDrive;
loadedDriveForEachTest((fixture) => ({ library, drive } = fixture));

const order: ScanOrderBody = {
  kind: "scan",
  runId: 1,
  drive: { devicePath: "vtl0" },
  barcode: null,
  rebuildSetUuid: null,
};

async function scan(hub: FakeScanHub) {
  const reporter = new FakeReporter();
  const result = await executeScan(order, { ...executorContext(drive, reporter, library.root), hub });
  return { result, reporter, messages: reporter.logLines.map((l) => l.message) };
}

describe("the scan executor", () => {
  it("posts the label, each TOC's header and its files as catalog rows, then says the TOC is done", async () => {
    await labelTape(drive, { label: "TB0001L9", pool: "Offsite", uuid: randomUUID() });
    await drive.spaceToEndOfData();
    const src = await createSourceTree(library.root);
    const setId = randomUUID();
    const written = await writeTestSet(drive, {
      src,
      workDir: library.root,
      setId,
      jobName: "Docs <nightly>",
    });
    const hub = new FakeScanHub();
    const { result, reporter, messages } = await scan(hub);

    expect(result.state).toBe("completed");
    expect(hub.calls.map(([what]) => what)).toEqual(["tape", "set", "segment"]);
    const barcode = (await drive.status()).barcode;
    expect(hub.calls[0]?.[1]).toMatchObject({
      barcode,
      kind: "labelled",
      label: { label: "TB0001L9", pool: "Offsite" },
      filesOnTape: 3,
      plainFiles: 0,
    });
    expect(hub.calls[1]?.[1]).toMatchObject({
      setUuid: setId,
      job: { name: "Docs <nightly>" },
      sequence: 0,
      fileNumber: 1,
      continues: false,
      complete: true,
      files: written.toc.files.length,
    });
    expect(reporter.chunks.map((c) => [c.setUuid, c.seq])).toEqual([[setId, scanChunkSeq(0, 0)]]);
    const hello = reporter.entries().find((e) => e[0] === "hello.txt");
    const tocHello = written.toc.files.find((f) => f.path === "hello.txt");
    expect(hello).toEqual([
      "hello.txt",
      "file",
      11,
      0o644,
      0,
      0,
      Math.floor(Date.parse("2026-11-01T12:00:00Z") / 1000),
      null,
      tocHello?.sha256,
      tocHello?.position.byteOffset,
      0,
      0,
      false,
    ]);
    expect(messages.at(-1)).toBe(`tape ${barcode}: 1 set(s), 1 new, 0 already in the catalog, 5 entries`);
  });

  it("sends no rows for a TOC the hub already knows", async () => {
    await labelTape(drive, { label: "TB0001L9", pool: "Offsite", uuid: randomUUID() });
    await drive.spaceToEndOfData();
    const src = await createSourceTree(library.root);
    await writeTestSet(drive, { src, workDir: library.root, setId: randomUUID() });
    const hub = new FakeScanHub("known");
    const { reporter, messages } = await scan(hub);
    expect(hub.calls.map(([what]) => what)).toEqual(["tape", "set"]);
    expect(reporter.chunks).toEqual([]);
    expect(messages.at(-1)).toMatch(/1 set\(s\), 0 new, 1 already in the catalog, 0 entries$/);
  });

  it("registers a Go TapeBackarr tape (short label, no TOC) and lists its tar members in the run log", async () => {
    await writeGoShortLabel(drive, "GO-TAPE-7", 1700000000);
    await writePlainTar(drive, await createSourceTree(library.root), library.root, "go.tar");

    const hub = new FakeScanHub();
    const { result, reporter, messages } = await scan(hub);
    expect(result.state).toBe("completed");
    // Registered first, then told what tar found: the listed bytes keep it from a careless relabel.
    expect(hub.calls.map(([what]) => what)).toEqual(["tape", "tape"]);
    expect(hub.calls[0]?.[1]).toMatchObject({
      kind: "labelled",
      label: { label: "GO-TAPE-7", uuid: "" },
      plainFiles: 0,
    });
    expect(hub.calls[1]?.[1]).toMatchObject({ kind: "labelled", plainFiles: 1 });
    expect((hub.calls[1]?.[1] as ScanTapeReport | undefined)?.plainBytes).toBeGreaterThanOrEqual(70_000);
    expect(reporter.logLines.find((l) => l.level === "warn")?.message).toMatch(/^tape file 1 has no TOC/);
    expect(messages.some((m) => m.startsWith("file 1: ") && m.endsWith("./docs/sub dir/notes.md"))).toBe(
      true,
    );
    expect(reporter.chunks).toEqual([]);
    expect(await listChildProcesses()).toEqual([]);
  });
});

describe("catalog rows from a TOC", () => {
  const file = (path: string, byteOffset: number, size: number) => ({
    path,
    size,
    mtime: "2026-01-01T00:00:00.000Z",
    mode: "0640",
    type: "file" as const,
    sha256: null,
    position: { byteOffset, block: 0 },
    uid: 1000,
    gid: 100,
  });
  const setToc = (continues: boolean, chunks: [number, number, number][]) => ({
    complete: true,
    stream: { offset: 0, plainChunkBytes: 8 << 20, chunks },
    toc: {
      magic: "TAPEBACKARR-TOC" as const,
      version: 1 as const,
      setId: randomUUID(),
      job: { id: "1", name: "j" },
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T01:00:00.000Z",
      tape: { label: "T1", uuid: "", sequence: 2, dataFile: 1, continues },
      compression: "zstd" as const,
      encryption: { algorithm: "none" as const, keyFingerprint: null },
      blockSize: 65_536,
      dataBytes: 30 << 20,
      files: [file("a.txt", 16 << 20, 100), file("b.bin", 30 << 20, 5 << 20)],
    },
  });

  it("marks a file that may run past the last chunk starting on a tape that continues as ending on the next", () => {
    const rows = catalogEntries(
      setToc(true, [
        [2, 16 << 20, 0],
        [3, 24 << 20, 9 << 20],
      ]),
    );
    expect(rows.map((r) => [r[0], r[3], r[4], r[5], r[10], r[11]])).toEqual([
      ["a.txt", 0o640, 1000, 100, 1, 1],
      ["b.bin", 0o640, 1000, 100, 1, 2],
    ]);
  });

  it("keeps every file on its own tape when the set does not continue", () => {
    const rows = catalogEntries(setToc(false, [[2, 16 << 20, 0]]));
    expect(rows.map((r) => r[11])).toEqual([1, 1]);
  });
});
