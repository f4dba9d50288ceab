import { statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TapeTarget } from "../../../contracts/agent-protocol.ts";
import { initLibrary, libraryPaths } from "../../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { createBackupExecutor } from "../../../drive-agent/orders/backup.ts";
import { checkSourceRoots } from "../../../drive-agent/pipeline/walk-source.ts";
import { ROOT } from "../../helpers/process.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import {
  backupOrder,
  createTree,
  executorContext,
  FakeReporter,
  labelAll,
  openLibraryDrive,
} from "./helpers.ts";

/** Issue 10, part 4: a backup's result never says more than happened. */
let root: string;
let dir: string;
let target: TapeTarget;
let drive: Awaited<ReturnType<typeof openLibraryDrive>>;
const run = createBackupExecutor({ progressIntervalMs: 20, tapePollMs: 10 });
const tapeFiles = async () => (await readdir(libraryPaths(dir).cartridge("TB0001L9"))).sort();

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tapebackarr-truth-"));
  dir = join(root, "lib");
  await initLibrary({ dir, drives: 1, slots: 2, cartridges: 1, capacityBytes: 64 << 20 });
  target = (await labelAll(dir, ["TB0001L9"])).TB0001L9 as TapeTarget;
  drive = await openLibraryDrive(dir);
});

afterEach(async () => {
  await drive?.close().catch(() => undefined);
  expect(await listChildProcesses()).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

describe("a source that cannot be backed up", () => {
  it("fails a backup whose source path does not exist, naming the path and what to do, and writes nothing to tape", async () => {
    const src = await createTree(root);
    const missing = join(root, "not mounted");
    const before = await tapeFiles();
    const reporter = new FakeReporter();
    const result = await run(
      backupOrder(target, src, { source: { paths: [src, missing], include: [], exclude: [] } }),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state).toBe("failed");
    expect(result.retryable).toBe(false);
    expect(result.error).toContain(`source path ${missing} does not exist on this agent's host`);
    expect(result.error).toContain("that the share is mounted");
    expect(reporter.logLines).toContainEqual(
      expect.objectContaining({
        level: "error",
        path: missing,
        message: expect.stringContaining("does not exist"),
      }),
    );
    expect(reporter.segments).toEqual([]);
    expect(reporter.chunks).toEqual([]);
    expect(await tapeFiles()).toEqual(before);
  });

  it("fails a backup of an empty source (an unmounted share) and says how to allow it", async () => {
    const empty = join(root, "mnt", "share");
    await mkdir(join(empty, "only dirs"), { recursive: true });
    const before = await tapeFiles();
    const reporter = new FakeReporter();
    const result = await run(
      backupOrder(target, empty),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state).toBe("failed");
    expect(result.error).toContain(`the source (${empty}) holds no file to back up; nothing was written`);
    expect(result.error).toContain("allow empty runs in job nightly <share>'s settings");
    expect(reporter.logLines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(reporter.segments).toEqual([]);
    expect(await tapeFiles()).toEqual(before);
  });

  it("fails when include patterns leave no file, naming the patterns", async () => {
    const src = await createTree(root);
    const result = await run(
      backupOrder(target, src, { source: { paths: [src], include: ["*.nothing-matches"], exclude: [] } }),
      executorContext(drive.drive, new FakeReporter(), join(root, "work")),
    );
    expect(result.state).toBe("failed");
    expect(result.error).toContain("holds no file to back up after its include/exclude patterns");
  });

  it("completes a backup of an empty source when the job allows empty runs", async () => {
    const empty = join(root, "empty");
    await mkdir(empty);
    const reporter = new FakeReporter();
    const result = await run(
      backupOrder(target, empty, { allowEmpty: true }),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state, result.error ?? "").toBe("completed");
    expect(result.summary).toMatchObject({ files: 1, sourceBytes: 0 });
    expect(reporter.segments).toHaveLength(1);
  });

  it("completes an incremental in which nothing changed: the source is not empty, only unchanged", async () => {
    const src = await createTree(root);
    const full = backupOrder(target, src);
    expect(
      (await run(full, executorContext(drive.drive, new FakeReporter(), join(root, "work")))).state,
    ).toBe("completed");
    const result = await run(
      backupOrder({ ...target, nextFile: 3 }, src, {
        set: {
          uuid: crypto.randomUUID(),
          backupType: "incremental",
          changedSince: new Date().toISOString(),
          baseSetUuid: full.set.uuid,
        },
      }),
      executorContext(drive.drive, new FakeReporter(), join(root, "work")),
    );
    expect(result.state, result.error ?? "").toBe("completed");
    expect(result.summary).toMatchObject({ files: 0, sourceBytes: 0 });
  });
});

describe("an incremental whose base this agent cannot compare with", () => {
  it("is written as a full, says why in a warning, and tells the hub so", async () => {
    const src = await createTree(root);
    const reporter = new FakeReporter();
    const base = crypto.randomUUID();
    const result = await run(
      backupOrder(target, src, {
        set: { uuid: crypto.randomUUID(), backupType: "incremental", changedSince: null, baseSetUuid: base },
      }),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state, result.error ?? "").toBe("completed-with-warnings");
    expect(result.writtenAs).toBe("full");
    expect(reporter.entries().filter((e) => e[1] === "file").length).toBeGreaterThan(0);
    expect(reporter.entries().some((e) => e[12])).toBe(false);
    const why = reporter.logLines.find((l) => l.message.includes("written as a full backup"));
    expect(why?.message).toContain(base);
    expect(why?.message).toContain("not on this agent");
  });
});

describe("the roots of a source", () => {
  it("names a missing root, a file where the path says a directory, and a path through a file", async () => {
    const file = join(root, "plain.txt");
    await writeFile(file, "x");
    const problems = await checkSourceRoots([
      join(root, "gone"),
      `${file}/`,
      join(file, "below"),
      root,
      file,
    ]);
    expect(problems).toEqual([
      { path: join(root, "gone"), problem: "does not exist" },
      { path: file, problem: "is not a directory" },
      { path: join(file, "below"), problem: "is not a directory (a part of the path is a file)" },
    ]);
  });

  // Root may list any directory: as root, the check runs as user nobody (setpriv), which needs to
  // reach the project's files; where it cannot (a checkout under a 0700 home), there is no one to ask.
  const asRoot = process.getuid?.() === 0;
  it.skipIf(asRoot && !othersMayRead(ROOT))("names a directory the agent may not list", async () => {
    const open = await mkdtemp(join(tmpdir(), "tapebackarr-locked-"));
    await chmod(open, 0o755);
    const locked = join(open, "locked");
    await mkdir(locked);
    await chmod(locked, 0);
    try {
      const problems = asRoot ? await checkAsNobody(locked) : await checkSourceRoots([locked]);
      expect(problems).toEqual([{ path: locked, problem: "cannot be listed (permission denied)" }]);
    } finally {
      await chmod(locked, 0o700);
      await rm(open, { recursive: true, force: true });
    }
  });
});

/** Whether every directory from / down to `dir` lets others through (o+x) and `dir` lets them read. */
function othersMayRead(dir: string): boolean {
  const parts = dir.split("/").filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const mode = statSync(`/${parts.slice(0, i).join("/")}`).mode;
    if ((mode & 0o001) === 0 || (i === parts.length && (mode & 0o004) === 0)) return false;
  }
  return true;
}

/** checkSourceRoots run by user nobody, in a process of its own. */
async function checkAsNobody(path: string): Promise<unknown> {
  const script = `import(${JSON.stringify(join(ROOT, "drive-agent/pipeline/walk-source.ts"))}).then(async (m) => console.log(JSON.stringify(await m.checkSourceRoots([${JSON.stringify(path)}]))))`;
  const result = await runCommand({
    argv: [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      "--import",
      "tsx",
      "-e",
      script,
    ],
    timeoutMs: 30_000,
    cwd: ROOT,
  });
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split("\n").at(-1) as string);
}

describe("the figures a backup reports", () => {
  it("reports the previous run's totals as an estimate from the first report, and the real totals at the end", async () => {
    const src = await createTree(root);
    const reporter = new FakeReporter();
    const result = await run(
      backupOrder(target, src, { expected: { files: 3, bytes: 1_000 } }),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state, result.error ?? "").toBe("completed");
    const [first] = reporter.progressReports;
    expect(first).toMatchObject({ bytesTotal: 1_000, filesTotal: 3, totalsEstimated: true });
    // The real figures: every member catalogued, every content byte that went to tape.
    const entries = reporter.entries();
    const bytes = entries.reduce((sum, e) => sum + e[2], 0);
    // A report sent once the stream has ended carries the counted totals, no longer estimated.
    for (const report of reporter.progressReports.filter((r) => r.totalsEstimated === false))
      expect(report).toMatchObject({ bytesTotal: bytes, filesTotal: entries.length });
    expect(bytes).toBeGreaterThan(3 << 20);
    expect(result.summary).toMatchObject({ files: entries.length, sourceBytes: bytes });
    expect(result.summary?.tapeBytes).toBeGreaterThan(bytes);
  });

  it("without a previous run, shows the walk's total (it runs ahead of tar) before the drive has the data", async () => {
    const src = await createTree(root, { bigBytes: 8 << 20 });
    const reporter = new FakeReporter();
    let sawTotal: { bytesDone: number; bytesTotal: number | null } | null = null;
    drive.hooks.beforeWrite = async () => {
      if (sawTotal) return;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const report = reporter.progressReports.find((r) => r.bytesTotal !== null);
        if (report) {
          sawTotal = { bytesDone: report.bytesDone, bytesTotal: report.bytesTotal };
          expect(report.totalsEstimated).toBe(true);
          return;
        }
        if (Date.now() > deadline) throw new Error("no progress report carried a total");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const result = await run(
      backupOrder(target, src),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state, result.error ?? "").toBe("completed");
    // Assigned in the hook: TypeScript cannot see that, so say what it is.
    const seen = sawTotal as { bytesDone: number; bytesTotal: number | null } | null;
    expect(seen).not.toBeNull();
    expect(seen?.bytesTotal).toBeGreaterThanOrEqual(8 << 20);
    expect(result.summary?.sourceBytes).toBeGreaterThanOrEqual(8 << 20);
  });

  it("logs one line saying what it backed up, where and how fast", async () => {
    const src = await createTree(root);
    const reporter = new FakeReporter();
    const result = await run(
      backupOrder(target, src),
      executorContext(drive.drive, reporter, join(root, "work")),
    );
    expect(result.state, result.error ?? "").toBe("completed");
    const lines = reporter.logLines.filter((l) => l.message.startsWith("backed up "));
    expect(lines).toHaveLength(1);
    const files = result.summary?.files ?? 0;
    expect(lines[0]).toMatchObject({ level: "info", path: null });
    expect(lines[0]?.message).toMatch(
      new RegExp(
        `^backed up ${files} files, 3\\.\\d MB \\(3\\.\\d MB on tape, ratio 0\\.9\\d\\) to TB0001L9 in \\d+ s at [\\d.]+ [KMG]?B/s$`,
      ),
    );
  });
});
