/**
 * One executor run in its own process (so its peak RSS is its own); prints one JSON line. With
 * `catalog` as fifth argument its chunks and segments go through the hub's own ingest services
 * into a real libSQL catalog, and the set is closed as the hub closes it: the line then says how
 * many entries the catalog holds and whether it reconciled with what the agent wrote.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BackupOrderBody, TapeTarget } from "../../contracts/agent-protocol.ts";
import { initLibrary, loadCartridge } from "../../drive-agent/drives/vtl/library.ts";
import { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { createBackupExecutor, executeBackup as defaultExecutor } from "../../drive-agent/orders/backup.ts";
import type { OrderReporter } from "../../drive-agent/orders/types.ts";
import { chunkEntryCount, chunkJson } from "../../drive-agent/pipeline/catalog-batch.ts";
import { labelTape } from "../../drive-agent/tape/label-tape.ts";
import { backupOrder, executorContext } from "../../test/drive-agent/pipeline/helpers.ts";

const [
  source = "",
  compression = "none",
  encrypt = "false",
  base = "/tmp",
  mode = "",
  writeBytes = "",
  memory = "",
] = process.argv.slice(2);
/** user + system seconds of this process's waited-for children, from /proc/self/stat (10 ms ticks). */
function childCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
const executeBackup = memory ? createBackupExecutor({ memoryBufferBytes: Number(memory) }) : defaultExecutor;
const sink = mode === "catalog" ? await (await import("./catalog-sink.ts")).openCatalogSink() : null;
const root = mkdtempSync(join(base, "vtl-"));
try {
  const dir = join(root, "lib");
  await initLibrary({ dir, drives: 1, slots: 1, capacityBytes: 200e9, earlyWarningBytes: 1e9 });
  await loadCartridge({ dir, slot: 1, drive: 0 });
  const drive = await VtlDrive.open({
    dir,
    index: 0,
    writeBytes: writeBytes ? Number(writeBytes) : undefined,
  });
  const uuid = randomUUID();
  await labelTape(drive, { label: "BENCH1", uuid, pool: "bench" });
  const tape: TapeTarget = { barcode: "TB0001L9", label: "BENCH1", uuid, nextFile: 1 };
  let entries = 0;
  let stages: string | null = null;
  let jsonBytes = 0;
  const reporter: OrderReporter = {
    progress: async () => "continue",
    catalogChunk: async (chunk) => {
      // What the hub reporter does with a chunk: its JSON (already built by the batcher), not its tuples.
      entries += chunkEntryCount(chunk);
      jsonBytes += chunkJson(chunk).length;
      await sink?.catalogChunk(chunk);
    },
    segment: async (segment) => {
      await sink?.segment(segment);
    },
    log: async (lines) => {
      stages = lines.find((l) => l.message.startsWith("stream stages"))?.message ?? stages;
    },
    fileResults: async () => undefined,
  };
  const encrypted = encrypt === "true";
  const order = backupOrder(tape, source, {
    job: { id: 1, name: "bench" },
    pool: { id: 1, name: "bench" },
    compression: compression as BackupOrderBody["compression"],
    encryption: encrypted
      ? { algorithm: "aes-256-gcm", keyFingerprint: "bench", dataKeyJwe: "x" }
      : { algorithm: "none", keyFingerprint: null, dataKeyJwe: null },
    drive: { devicePath: "vtl" },
  });
  if (sink) order.set.uuid = sink.setUuid;
  // What the peak is made of: V8's heap, and the Buffers' memory outside it (pool, chunks in flight).
  const peak = { rss: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]);
  }, 200);
  // CPU of the run alone (not the process's start-up): this process, and its waited-for children (tar).
  const cpuStart = process.cpuUsage();
  const childStart = childCpuSeconds();
  const start = performance.now();
  const result = await executeBackup(
    order,
    executorContext(drive, reporter, join(root, "work"), { dataKey: encrypted ? randomBytes(32) : null }),
  );
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  const own = process.cpuUsage(cpuStart);
  const cpuSeconds = (own.user + own.system) / 1e6 + childCpuSeconds() - childStart;
  await drive.close();
  const catalog = sink ? await sink.close(result) : null;
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds,
      state: result.state,
      files: entries,
      catalogJsonBytes: jsonBytes,
      tapeBytes: result.summary?.tapeBytes ?? 0,
      maxRssKb: process.resourceUsage().maxRSS,
      peakMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
      catalog,
      stages,
    }),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
