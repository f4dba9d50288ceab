/**
 * Restore benchmark (not a test): time to restore one file from the end of a small and a 10×
 * larger set on vtl tapes on local disk. Restoring must seek, not read: the target is a ratio of
 * at most 1.5 between the two.
 *
 *   npm run bench:restore                       # 1 GB and 10 GB sets, plain then zstd + AES-256-GCM
 *   npm run bench:restore -- --small            # 100 MB and 1 GB
 *   npm run bench:restore -- --shapes plain --reps 7 --dir /tmp
 *
 * Generates one tree (the large set's source; its last tenth is the small set's source, and the
 * target file is the last member of both), writes each set with the real backup executor onto
 * its own vtl library, then restores the target file, alternating small and large, two ways:
 * the hub's restore work order (executor in-process: seek to the catalogued offset) and the
 * operator's `drive-agent restore --tape LIB --set 1 PATH --to DIR` process (reads the label and
 * the set's TOC first). Every temp file is removed at the end, also on failure or Ctrl-C.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type {
  BackupOrderBody,
  CatalogEntry,
  RestoreOrderBody,
  SegmentReport,
  TapeTarget,
} from "../../contracts/agent-protocol.ts";
import { initLibrary, libraryPaths, loadCartridge } from "../../drive-agent/drives/vtl/library.ts";
import { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { executeBackup } from "../../drive-agent/orders/backup.ts";
import { createRestoreExecutor } from "../../drive-agent/orders/restore.ts";
import type { OrderReporter } from "../../drive-agent/orders/types.ts";
import { labelTape } from "../../drive-agent/tape/label-tape.ts";
import { backupOrder, executorContext } from "../../test/drive-agent/pipeline/helpers.ts";

const { values } = parseArgs({
  options: {
    small: { type: "boolean" },
    dir: { type: "string", default: "/tmp" },
    reps: { type: "string", default: "5" },
    shapes: { type: "string", default: "plain,zstd-aes" },
  },
});
const GB = 1e9;
const sizes = values.small ? [0.1 * GB, 1 * GB] : [1 * GB, 10 * GB];
const reps = Number(values.reps);
const shapes = String(values.shapes).split(",") as Shape[];
type Shape = "plain" | "zstd" | "zstd-aes";

const root = mkdtempSync(join(String(values.dir), "tapebackarr-bench-restore-"));
const cleanup = () => rmSync(root, { recursive: true, force: true });
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });

const largest = sizes[sizes.length - 1] as number;
// Source + the two sets of one shape at a time (the next shape's tapes are written after).
const needed = largest * 2.2 + (sizes[0] as number) + 2 * GB;
const fs = statfsSync(root);
const free = fs.bavail * fs.bsize;
if (free < needed) {
  cleanup();
  console.error(
    `need ~${(needed / GB).toFixed(0)} GB free under ${values.dir}, have ${(free / GB).toFixed(0)} GB`,
  );
  process.exit(1);
}

const key = randomBytes(32);
const keyFile = join(root, "data.key");
writeFileSync(keyFile, key);

/**
 * The tree: `a-bulk/` holds the large set's first nine tenths, `z-last/` the last tenth (the small
 * set's source); `z-last/zz-target.bin` sorts last in walk order. Per directory: four files of
 * 3–7 MiB and 40 of 1–90 KB, half random, half log-like text (zstd -1 halves it).
 */
function generateTree(): { src: string; smallSrc: string; target: string; targetSha: string } {
  const src = join(root, "src");
  const pool = Buffer.concat([
    randomBytes(48 << 20),
    Buffer.from(
      '2026-11-26T22:00:00Z host=files01 level=info msg="request served" bytes=000000\n'.repeat(600_000),
    ),
  ]);
  let offset = 0;
  const take = (size: number) => {
    if (offset + size > pool.length) offset = (offset * 7919) % 65_536;
    const piece = pool.subarray(offset, offset + size);
    offset += size + 4096;
    return piece;
  };
  const fill = (dir: string, bytes: number) => {
    let written = 0;
    for (let d = 0; written < bytes; d++) {
      const sub = join(dir, `d${String(d).padStart(4, "0")}`);
      mkdirSync(sub, { recursive: true });
      for (let f = 0; f < 44 && written < bytes; f++) {
        const size =
          f < 4 ? (3 << 20) + ((d * 7 + f) % 5) * (1 << 20) : 1_000 + ((f * 7919 + d * 104_729) % 89_000);
        writeFileSync(join(sub, `f${String(f).padStart(3, "0")}.dat`), take(size));
        written += size;
      }
    }
  };
  const small = sizes[0] as number;
  fill(join(src, "a-bulk"), largest - small);
  const smallSrc = join(src, "z-last");
  fill(smallSrc, small - (1 << 20));
  const target = join(smallSrc, "zz-target.bin");
  const content = randomBytes(1 << 20);
  writeFileSync(target, content);
  return { src, smallSrc, target, targetSha: createHash("sha256").update(content).digest("hex") };
}

type Written = {
  name: string;
  lib: string;
  order: BackupOrderBody;
  entry: CatalogEntry;
  segment: SegmentReport;
  entries: number;
  plainBytes: number;
  last: boolean;
  seconds: number;
  tapeBlocks: number;
};

async function writeSet(name: string, source: string, shape: Shape, targetPath: string): Promise<Written> {
  const lib = join(root, `lib-${name}`);
  await initLibrary({ dir: lib, drives: 1, slots: 1, capacityBytes: 50 * GB, earlyWarningBytes: 1e9 });
  await loadCartridge({ dir: lib, slot: 1, drive: 0 });
  const drive = await VtlDrive.open({ dir: lib, index: 0 });
  const uuid = randomUUID();
  await labelTape(drive, { label: "BENCH1", uuid, pool: "bench" });
  const tape: TapeTarget = { barcode: "TB0001L9", label: "BENCH1", uuid, nextFile: 1 };
  let entry: CatalogEntry | null = null;
  let entries = 0;
  let plainBytes = 0;
  let lastOffset = 0;
  const segments: SegmentReport[] = [];
  const reporter: OrderReporter = {
    progress: async () => "continue",
    catalogChunk: async (chunk) => {
      entries += chunk.entries.length;
      for (const e of chunk.entries) {
        plainBytes += e[2];
        lastOffset = Math.max(lastOffset, e[9]);
        if (e[0] === targetPath) entry = e as CatalogEntry;
      }
    },
    segment: async (s) => {
      segments.push(s);
    },
    log: async () => undefined,
    fileResults: async () => undefined,
  };
  const order = backupOrder(tape, source, {
    job: { id: 1, name: "bench" },
    pool: { id: 1, name: "bench" },
    compression: shape === "plain" ? "none" : "zstd",
    encryption:
      shape === "zstd-aes"
        ? { algorithm: "aes-256-gcm", keyFingerprint: "bench", dataKeyJwe: "x" }
        : { algorithm: "none", keyFingerprint: null, dataKeyJwe: null },
    drive: { devicePath: "vtl" },
  });
  const start = performance.now();
  const result = await executeBackup(
    order,
    executorContext(drive, reporter, join(root, `work-${name}`), {
      dataKey: shape === "zstd-aes" ? key : null,
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await drive.close();
  rmSync(join(root, `work-${name}`), { recursive: true, force: true });
  const segment = segments.find((s) => s.complete) ?? segments[0];
  if (result.state !== "completed" || !entry || !segment)
    throw new Error(
      `backup of ${name}: ${result.state} ${result.error ?? ""} (target catalogued: ${!!entry})`,
    );
  const last = (entry as CatalogEntry | null)?.[9] === lastOffset;
  return { name, lib, order, entry, segment, entries, plainBytes, last, seconds, tapeBlocks: segment.blocks };
}

type Sample = { seconds: number; blocksRead: number; bytesRead: number };

const restore = createRestoreExecutor({ progressIntervalMs: 1_000 });

/** The hub's path: a restore work order naming the catalogued file; the agent seeks to its offset. */
async function restoreByOrder(set: Written, targetSha: string, rep: number): Promise<Sample> {
  const [path, type, size, , , , , , sha256, offset, segment] = set.entry;
  const destination = join(root, `out-${set.name}-order-${rep}`);
  const order: RestoreOrderBody = {
    kind: "restore",
    runId: 2,
    set: {
      uuid: set.order.set.uuid,
      compression: set.order.compression,
      encryption: set.order.encryption,
      blockSize: set.order.blockSize,
    },
    files: [{ path, type, size, sha256, offset, segment }],
    tapes: [
      {
        barcode: set.order.tape.barcode,
        label: set.order.tape.label,
        uuid: set.order.tape.uuid,
        sequence: 0,
        fileNumber: set.segment.fileNumber,
        streamOffset: set.segment.streamOffset,
      },
    ],
    destination,
    overwrite: "skip",
    drive: { devicePath: "vtl" },
  };
  const drive = await VtlDrive.open({ dir: set.lib, index: 0 });
  const before = drive.counters();
  const start = performance.now();
  const result = await restore(order, {
    drive,
    changer: null,
    reporter: {
      progress: async () => "continue",
      catalogChunk: async () => undefined,
      segment: async () => undefined,
      log: async () => undefined,
      fileResults: async () => undefined,
    },
    signal: new AbortController().signal,
    workDir: join(root, "work-restore"),
    log: () => undefined,
    dataKey: set.order.encryption.algorithm === "none" ? null : key,
  });
  const seconds = (performance.now() - start) / 1000;
  const after = drive.counters();
  await drive.close();
  checkRestored(destination, path, targetSha, `${set.name} order: ${result.state} ${result.error ?? ""}`);
  return {
    seconds,
    blocksRead: after.blocksRead - before.blocksRead,
    bytesRead: after.bytesRead - before.bytesRead,
  };
}

const agentBin = join(import.meta.dirname, "../../drive-agent/bin/drive-agent.js");

/** The operator's path: a `drive-agent restore` process, from the tape alone (label + TOC + data). */
function restoreByCli(set: Written, targetSha: string, rep: number): Sample {
  const destination = join(root, `out-${set.name}-cli-${rep}`);
  const before = driveCounters(set.lib);
  const args = [
    "restore",
    "--tape",
    set.lib,
    "--drive",
    "0",
    "--set",
    "1",
    set.entry[0],
    "--to",
    destination,
  ];
  if (set.order.encryption.algorithm !== "none") args.push("--key-file", keyFile);
  const start = performance.now();
  const run = spawnSync(process.execPath, [agentBin, ...args], { encoding: "utf8" });
  const seconds = (performance.now() - start) / 1000;
  const after = driveCounters(set.lib);
  checkRestored(destination, set.entry[0], targetSha, `${set.name} cli: exit ${run.status} ${run.stderr}`);
  return {
    seconds,
    blocksRead: after.blocksRead - before.blocksRead,
    bytesRead: after.bytesRead - before.bytesRead,
  };
}

/** Process start alone (`drive-agent --help`): what the CLI figure pays before touching the tape. */
function cliStart(): number {
  const start = performance.now();
  spawnSync(process.execPath, [agentBin, "--help"], { encoding: "utf8" });
  return (performance.now() - start) / 1000;
}

function driveCounters(lib: string): { blocksRead: number; bytesRead: number } {
  return JSON.parse(readFileSync(libraryPaths(lib).driveState(0), "utf8")).counters;
}

function checkRestored(destination: string, path: string, sha: string, context: string): void {
  let got = "";
  try {
    got = createHash("sha256")
      .update(readFileSync(join(destination, path)))
      .digest("hex");
  } catch {}
  rmSync(destination, { recursive: true, force: true });
  if (got !== sha) throw new Error(`restored file wrong or missing (${context})`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmtSize = (bytes: number) =>
  bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(0)} MB`;
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  console.log(`restore bench: sets of ${sizes.map(fmtSize).join(" and ")}, ${reps} reps, shapes ${shapes}`);
  let t = performance.now();
  const tree = generateTree();
  console.log(`generated the tree in ${((performance.now() - t) / 1000).toFixed(1)} s (load ${load()})`);
  const targetPath = tree.target.slice(1);
  const rows: string[] = [];
  for (const shape of shapes) {
    const small = await writeSet(`${shape}-small`, tree.smallSrc, shape, targetPath);
    const large = await writeSet(`${shape}-large`, tree.src, shape, targetPath);
    for (const set of [small, large]) {
      console.log(
        `${set.name}: ${set.entries} entries, ${set.tapeBlocks} tape blocks (${fmtSize(set.tapeBlocks * 65536)}) written in ${set.seconds.toFixed(1)} s; target at tar offset ${fmtSize(set.entry[9])} of ${fmtSize(set.plainBytes)} of file data${set.last ? ", the set's last member" : ""}`,
      );
    }
    const samples: Record<string, Sample[]> = {};
    const add = (k: string, s: Sample) => {
      samples[k] = [...(samples[k] ?? []), s];
    };
    const starts: number[] = [];
    t = performance.now();
    // One warm-up each (page cache, module load), then alternate small and large.
    await restoreByOrder(small, tree.targetSha, -1);
    await restoreByOrder(large, tree.targetSha, -1);
    // The in-process restore takes milliseconds, so it gets four times the repetitions.
    for (let rep = 0; rep < reps * 4; rep++) {
      for (const [label, set] of [
        ["small", small],
        ["large", large],
      ] as const) {
        add(`order-${label}`, await restoreByOrder(set, tree.targetSha, rep));
        if (rep % 4 === 0) add(`cli-${label}`, restoreByCli(set, tree.targetSha, rep));
      }
      if (rep % 4 === 0) starts.push(cliStart());
    }
    console.log(`restores took ${((performance.now() - t) / 1000).toFixed(1)} s (load ${load()})`);
    for (const way of ["order", "cli"]) {
      const s = samples[`${way}-small`] ?? [];
      const l = samples[`${way}-large`] ?? [];
      const ms = (xs: Sample[]) => median(xs.map((x) => x.seconds)) * 1000;
      const line = `| ${shape}, ${way === "order" ? "restore work order (in-process executor)" : "`drive-agent restore` process"} | ${ms(s).toFixed(0)} ms | ${ms(l).toFixed(0)} ms | ${(ms(l) / ms(s)).toFixed(2)}× | ${median(s.map((x) => x.blocksRead))} / ${small.tapeBlocks} | ${median(l.map((x) => x.blocksRead))} / ${large.tapeBlocks} |`;
      rows.push(line);
      console.log(
        `${shape} ${way}: small ${s.map((x) => (x.seconds * 1000).toFixed(0)).join(", ")} ms; large ${l.map((x) => (x.seconds * 1000).toFixed(0)).join(", ")} ms; bytes read ${median(s.map((x) => x.bytesRead))} / ${median(l.map((x) => x.bytesRead))}`,
      );
    }
    rows.push(
      `| process start alone (\`drive-agent --help\`) | ${(median(starts) * 1000).toFixed(0)} ms | | | | |`,
    );
    rmSync(small.lib, { recursive: true, force: true });
    rmSync(large.lib, { recursive: true, force: true });
  }
  console.log(
    `\n| shape, path | ${fmtSize(sizes[0] as number)} set (median) | ${fmtSize(largest)} set (median) | ratio (target ≤ 1.5) | blocks read / set blocks, small | large |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) console.log(row);
} finally {
  cleanup();
}
