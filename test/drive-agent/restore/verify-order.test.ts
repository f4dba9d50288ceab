import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RestoreTape, VerifyOrderBody } from "../../../contracts/agent-protocol.ts";
import { libraryPaths } from "../../../drive-agent/drives/vtl/library.ts";
import { createVerifyExecutor } from "../../../drive-agent/orders/verify.ts";
import { decodeSetToc, type SetToc } from "../../../drive-agent/tape/set-toc.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import { type Bench, createBench, runOnBenchDrive, writeSet } from "./helpers.ts";

let bench: Bench;
afterEach(async () => {
  expect(await listChildProcesses()).toEqual([]);
  await bench.cleanup();
});

describe("the verify work order", () => {
  it("reads a set that spans tapes to its end, loading each tape from the library, and completes", async () => {
    bench = await createBench({ capacityBytes: 16 << 20, earlyWarningBytes: 6 << 20 });
    const src = join(bench.root, "src");
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(join(src, `f-${i}.bin`), randomBytes(1 << 20));
    const written = await writeSet(bench, src, {
      compression: "zstd",
      continuationTapes: [bench.tapes.TB0002L9, bench.tapes.TB0003L9].filter((t) => t !== undefined),
    });
    const tapes: RestoreTape[] = [];
    let files = 0;
    for (const barcode of ["TB0001L9", "TB0002L9", "TB0003L9"]) {
      const tocFile = join(libraryPaths(bench.dir).cartridge(barcode), "file-0002");
      const found = decodeSetToc(await readFile(tocFile).catch(() => Buffer.alloc(0))) as SetToc | null;
      if (!found) continue;
      files += found.toc.files.length;
      tapes.push({
        barcode,
        label: found.toc.tape.label,
        uuid: found.toc.tape.uuid,
        sequence: found.toc.tape.sequence - 1,
        fileNumber: 1,
        streamOffset: found.stream.offset,
      });
    }
    expect(tapes.length).toBeGreaterThanOrEqual(2);
    const order: VerifyOrderBody = {
      kind: "verify",
      runId: 5,
      set: {
        uuid: written.set.uuid,
        compression: "zstd",
        encryption: { algorithm: "none", keyFingerprint: null, dataKeyJwe: null },
        blockSize: 65536,
      },
      tapes,
      drive: { devicePath: "vtl0" },
    };
    const { result, reporter } = await runOnBenchDrive(
      bench,
      createVerifyExecutor({ progressIntervalMs: 20 }),
      order,
    );
    expect(result.error ?? "").toBe("");
    expect(result.state).toBe("completed");
    expect(result.summary?.files).toBe(files);
    // Every member of every tape's TOC was seen (above); the last report names the last tape.
    expect(reporter.progressReports.at(-1)?.tapeBarcode).toBe(tapes.at(-1)?.barcode);
    expect(reporter.logLines.at(-1)?.message).toMatch(/every checksum matches/);
  });
});
