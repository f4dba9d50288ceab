import { randomBytes, randomUUID } from "node:crypto";
import { link, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  BackupOrderBody,
  CatalogChunk,
  LogLines,
  ProgressAnswer,
  ProgressReport,
  RestoreFileResults,
  SegmentReport,
  TapeTarget,
} from "../../../contracts/agent-protocol.ts";
import type { Drive } from "../../../drive-agent/drives/drive.ts";
import { loadCartridge, readLibrary, unloadCartridge } from "../../../drive-agent/drives/vtl/library.ts";
import { VtlDrive } from "../../../drive-agent/drives/vtl/vtl-drive.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import type { ExecutorContext, OrderReporter, TapeChanger } from "../../../drive-agent/orders/types.ts";
import { labelTape } from "../../../drive-agent/tape/label-tape.ts";

type Progress = Omit<ProgressReport, "seq">;

/** Records every call the executor makes; `answer` plays the operator. */
export class FakeReporter implements OrderReporter {
  progressReports: Progress[] = [];
  chunks: CatalogChunk[] = [];
  segments: SegmentReport[] = [];
  logLines: LogLines["lines"] = [];
  /** What the hub's answers offer a run waiting for a tape (ProgressAnswer `tapes`). */
  offered: TapeTarget[] = [];
  constructor(public answer: (report: Progress) => ProgressAnswer["control"] = () => "continue") {}
  offeredTapes() {
    return this.offered;
  }
  async progress(report: Progress) {
    this.progressReports.push(report);
    return this.answer(report);
  }
  async catalogChunk(chunk: CatalogChunk) {
    this.chunks.push(chunk);
  }
  async segment(segment: SegmentReport) {
    this.segments.push(segment);
  }
  async log(lines: LogLines["lines"]) {
    this.logLines.push(...lines);
  }
  restoreFiles: RestoreFileResults["files"] = [];
  async fileResults(batch: RestoreFileResults) {
    this.restoreFiles.push(...batch.files);
  }
  entries() {
    return this.chunks.flatMap((c) => c.entries);
  }
}

/**
 * A vtl drive whose cartridge can be changed while the executor holds it, as a real drive's can:
 * `swap` unloads and loads through the library, then reopens the drive underneath.
 */
export async function openLibraryDrive(dir: string, index = 0, options: { writeBytes?: number } = {}) {
  let inner = await VtlDrive.open({ dir, index, ...options });
  const hooks: { beforeWrite?: () => Promise<void> } = {};
  const swap = async (barcode: string) => {
    await inner.close();
    const library = await readLibrary(dir);
    if (library.drives[index]?.barcode) await unloadCartridge({ dir, drive: index });
    const slot = (await readLibrary(dir)).slots.find((s) => s.barcode === barcode);
    if (!slot) throw new Error(`no cartridge ${barcode} in a slot`);
    await loadCartridge({ dir, slot: slot.slot, drive: index });
    inner = await VtlDrive.open({ dir, index, ...options });
  };
  const drive = new Proxy({} as Drive, {
    get: (_, prop: keyof VtlDrive) => {
      // Both ways of writing pass the hook (the pipeline takes queued writes from the vtl).
      if (prop === "write" || prop === "writeQueued")
        return async (data: Uint8Array) => {
          await hooks.beforeWrite?.();
          return prop === "write" ? inner.write(data) : inner.writeQueued(data);
        };
      const value = inner[prop];
      return typeof value === "function" ? value.bind(inner) : value;
    },
  });
  const changer: TapeChanger = {
    loadTape: swap,
    inventory: async () => (await readLibrary(dir)).slots.flatMap((s) => (s.barcode ? [s.barcode] : [])),
  };
  return { drive, changer, swap, hooks, current: () => inner, close: () => inner.close() };
}

/** Labels every cartridge of the library (TB0001L9 → "T1", ...) and leaves slot 1's in drive 0. */
export async function labelAll(dir: string, barcodes: string[]): Promise<Record<string, TapeTarget>> {
  const targets: Record<string, TapeTarget> = {};
  const d = await openLibraryDrive(dir);
  try {
    for (const [i, barcode] of [...barcodes].reverse().entries()) {
      await d.swap(barcode);
      const uuid = randomUUID();
      const label = `T${barcodes.length - i}`;
      await labelTape(d.drive, { label, uuid, pool: "weekly" });
      targets[barcode] = { barcode, label, uuid, nextFile: 1 };
    }
  } finally {
    await d.close();
  }
  return targets;
}

export function backupOrder(
  tape: TapeTarget,
  src: string,
  overrides: Partial<BackupOrderBody> = {},
): BackupOrderBody {
  return {
    kind: "backup",
    runId: 1,
    job: { id: 7, name: "nightly <share>" },
    set: { uuid: randomUUID(), backupType: "full", changedSince: null, baseSetUuid: null },
    source: { paths: [src], include: [], exclude: [] },
    pool: { id: 1, name: "weekly" },
    compression: "none",
    encryption: { algorithm: "none", keyFingerprint: null, dataKeyJwe: null },
    blockSize: 65536,
    drive: { devicePath: "vtl0" },
    tape,
    continuationTapes: [],
    allowEmpty: false,
    expected: null,
    ...overrides,
  };
}

export function executorContext(
  drive: Drive,
  reporter: OrderReporter,
  workDir: string,
  extra: Partial<ExecutorContext & { dataKey: Uint8Array | null }> = {},
) {
  return {
    drive,
    changer: null,
    reporter,
    signal: new AbortController().signal,
    workDir,
    log: () => undefined,
    dataKey: null,
    ...extra,
  };
}

export const MARKER = "PLAINTEXT-MARKER-7f3a";

/** The tree the acceptance criteria name: empty files, a large file, links, hostile names. */
export async function createTree(root: string, options: { bigBytes?: number } = {}): Promise<string> {
  const src = join(root, "src");
  const deep = join(src, "a".repeat(60), "b".repeat(60));
  await mkdir(join(src, "docs", "empty dir"), { recursive: true });
  await mkdir(deep, { recursive: true });
  await writeFile(join(src, "empty-1"), "");
  await writeFile(join(src, "docs", "empty-2"), "");
  await writeFile(join(src, "big.bin"), randomBytes(options.bigBytes ?? 3 << 20));
  await writeFile(join(src, "docs", "notes.txt"), `${MARKER} notes\n`.repeat(200));
  await writeFile(join(src, "<img src=x onerror=alert(1)>.txt"), `${MARKER} markup\n`);
  await writeFile(join(src, "héllo wörld ✓ 日本.txt"), `${MARKER} unicode\n`);
  await writeFile(join(deep, `${"c".repeat(90)}.txt`), `${MARKER} long path\n`);
  await writeFile(join(src, "vanishes.txt"), "gone before tar reads it\n");
  await symlink("docs/notes.txt", join(src, "link-to-notes"));
  await symlink("/nonexistent/target", join(src, "dangling"));
  await link(join(src, "docs", "notes.txt"), join(src, "hard-notes.txt"));
  for (let i = 0; i < 50; i++) await writeFile(join(src, "docs", `small-${i}.txt`), `${MARKER} ${i}\n`);
  return src;
}

/** sha256sum's answer for each file under `src`, keyed by tar member name. */
export async function sha256sums(src: string): Promise<Map<string, string>> {
  const result = await runCommand({
    argv: ["bash", "-c", "find . -type f -print0 | xargs -0 sha256sum"],
    cwd: src,
    timeoutMs: 60_000,
  });
  const sums = new Map<string, string>();
  for (const line of result.stdout.split("\n")) {
    const match = /^([0-9a-f]{64}) {2}\.\/(.*)$/.exec(line);
    if (match?.[1] && match[2]) sums.set(`${src.slice(1)}/${match[2]}`, match[1]);
  }
  return sums;
}
