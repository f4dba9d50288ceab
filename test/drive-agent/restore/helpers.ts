import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  BackupOrderBody,
  RestoreOrderBody,
  RestoreTape,
  TapeTarget,
} from "../../../contracts/agent-protocol.ts";
import type { TocFile } from "../../../contracts/toc.ts";
import { initLibrary } from "../../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { createBackupExecutor } from "../../../drive-agent/orders/backup.ts";
import {
  backupOrder,
  executorContext,
  FakeReporter,
  labelAll,
  openLibraryDrive,
} from "../pipeline/helpers.ts";

export const BARCODES = ["TB0001L9", "TB0002L9", "TB0003L9"];

export type Bench = {
  root: string;
  dir: string;
  tapes: Record<string, TapeTarget>;
  cleanup(): Promise<void>;
};

/** A library of three labelled cartridges in a temp dir (drive 0 empty once set up). */
export async function createBench(
  options: { capacityBytes?: number; earlyWarningBytes?: number } = {},
): Promise<Bench> {
  const root = await mkdtemp(join(tmpdir(), "tapebackarr-restore-"));
  const dir = join(root, "lib");
  await initLibrary({
    dir,
    drives: 1,
    slots: 4,
    cartridges: 3,
    capacityBytes: options.capacityBytes ?? 256 << 20,
    earlyWarningBytes: options.earlyWarningBytes,
  });
  const tapes = await labelAll(dir, BARCODES);
  return { root, dir, tapes, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** The bench's first tape as a restore or verify order names it: the set starts at its file 1. */
export const firstTapeOf = (bench: Bench): RestoreTape => ({
  barcode: "TB0001L9",
  label: "T1",
  uuid: bench.tapes.TB0001L9?.uuid ?? "",
  sequence: 0,
  fileNumber: 1,
  streamOffset: 0,
});

/** A TOC member as a restore order names it, on the set's first segment; `fields` on top. */
export const restoreFileOf = (
  member: TocFile,
  fields: Partial<RestoreOrderBody["files"][number]> = {},
): RestoreOrderBody["files"][number] => ({
  path: member.path,
  type: member.type === "directory" ? "dir" : "file",
  size: member.size,
  sha256: member.sha256,
  offset: member.position.byteOffset,
  segment: 0,
  ...fields,
});

/**
 * Runs a verify or restore executor with `order` on the bench's drive 0 and a fake reporter (work
 * dir `work` under the bench), closing the drive however it ends.
 */
export async function runOnBenchDrive<O, R>(
  bench: Bench,
  execute: (order: O, ctx: ReturnType<typeof executorContext>) => Promise<R>,
  order: O,
  dataKey: Uint8Array | null = null,
): Promise<{ result: R; reporter: FakeReporter }> {
  const drive = await openLibraryDrive(bench.dir);
  const reporter = new FakeReporter();
  try {
    const result = await execute(
      order,
      executorContext(drive.drive, reporter, join(bench.root, "work"), { changer: drive.changer, dataKey }),
    );
    return { result, reporter };
  } finally {
    await drive.close();
  }
}

const backup = createBackupExecutor({ progressIntervalMs: 50, tapePollMs: 10 });

/** Backs `src` up onto the bench's first tape (and the next ones when it spans) with the real pipeline. */
export async function writeSet(
  bench: Bench,
  src: string,
  overrides: Partial<BackupOrderBody> = {},
  dataKey: Uint8Array | null = null,
): Promise<BackupOrderBody> {
  const drive = await openLibraryDrive(bench.dir);
  try {
    const order = backupOrder(bench.tapes.TB0001L9 as TapeTarget, src, overrides);
    const result = await backup(
      order,
      executorContext(drive.drive, new FakeReporter(), join(bench.root, `work-${order.set.uuid}`), {
        dataKey,
        changer: drive.changer,
      }),
    );
    if (result.state !== "completed" && result.state !== "completed-with-warnings")
      throw new Error(`backup ${result.state}: ${result.error}`);
    await drive.swap("TB0001L9");
    return order;
  } finally {
    await drive.close();
  }
}

/** `diff -r` plus a listing of mode, mtime and link target of every entry: byte-identical and same metadata. */
export async function treeSignature(dir: string): Promise<string> {
  const result = await runCommand({
    argv: [
      "bash",
      "-c",
      'find . -mindepth 1 ! -name ".tbr-*" -printf "%P %y %m %Ts %l %s\\n" | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum',
    ],
    cwd: dir,
    timeoutMs: 60_000,
  });
  return result.stdout;
}
