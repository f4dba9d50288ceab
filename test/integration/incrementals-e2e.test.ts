import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  symlink,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 11's proof, through the real hub and drive-agent processes on a virtual library: accurate
 * incrementals see a `mv`, a `cp -p` and a same-second change; a restore as of an incremental is
 * the tree as it was then; a differential holds the union of the incrementals since its full.
 */

type Entry = { dir: string; name: string; type: string; deleted: number };
type Seen = { type: string; mode: number; mtime: number; content: string | null };

/** Every path below `top` (relative, "" for top itself) with its type, mode, mtime (s) and content or link target. */
async function snapshot(top: string): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  const walk = async (path: string) => {
    const st = await lstat(path);
    const rel = relative(top, path);
    const mtime = Math.floor(st.mtimeMs / 1000);
    if (st.isDirectory()) {
      out.set(rel, { type: "dir", mode: st.mode & 0o7777, mtime, content: null });
      for (const name of (await readdir(path)).sort()) await walk(join(path, name));
    } else if (st.isSymbolicLink())
      out.set(rel, { type: "symlink", mode: 0, mtime, content: await readlink(path) });
    else
      out.set(rel, {
        type: "file",
        mode: st.mode & 0o7777,
        mtime,
        content: createHash("sha256")
          .update(await readFile(path))
          .digest("hex"),
      });
  };
  await walk(top);
  return out;
}

describe("accurate incrementals and point-in-time restore, end to end", () => {
  let root: string;
  let src: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;
  let sourceId: number;
  let catalog: ReturnType<typeof createClient>;

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const entriesOf = async (setId: number) =>
    (
      await catalog.execute({
        sql: "select * from catalog_entries where set_id = ? order by id",
        args: [setId],
      })
    ).rows as unknown as Entry[];
  /** The set's entries, paths relative to the source: [written files, deletion markers]. */
  const contentOf = async (setId: number) => {
    const base = src.slice(1);
    const rel = (e: Entry) => relative(base, e.dir ? `${e.dir}/${e.name}` : e.name);
    const entries = await entriesOf(setId);
    return {
      written: entries
        .filter((e) => !e.deleted && e.type !== "dir")
        .map(rel)
        .sort(),
      deleted: entries
        .filter((e) => e.deleted)
        .map(rel)
        .sort(),
      all: entries.length,
    };
  };
  const runJob = async (jobId: number) => {
    const run = await e2e.runJobToEnd(hub, jobId);
    expect(["completed", "completed-with-warnings"], run.error ?? "").toContain(run.state);
    return run;
  };
  const typeOf = async (setId: number) =>
    (await api<{ backupType: string }>("GET", `/api/v1/sets/${setId}`)).body.backupType;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-accurate-e2e-"));
    const lib = join(root, "vtl");
    src = join(root, "src");
    await mkdir(join(src, "bash", "nested"), { recursive: true });
    await mkdir(join(src, "sub"), { recursive: true });
    await writeFile(join(src, "bash", "run.sh"), "#!/bin/sh\necho hi\n");
    await chmod(join(src, "bash", "run.sh"), 0o755);
    await writeFile(join(src, "bash", "two.txt"), "two\n".repeat(100));
    await writeFile(join(src, "bash", "nested", "four.txt"), "four\n");
    await symlink("two.txt", join(src, "bash", "to-two"));
    await writeFile(join(src, "keep.txt"), "keep\n");
    await mkdir(join(src, "stable"));
    await writeFile(join(src, "stable", "edited-in-place.txt"), "first\n");
    await utimes(join(src, "stable"), new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
    await chmod(join(src, "keep.txt"), 0o600);
    await writeFile(join(src, "sub", "x.txt"), "x\n");
    await writeFile(join(src, "sub", "y.txt"), "y\n");
    await symlink("keep.txt", join(src, "link"));
    await initLibrary({
      dir: lib,
      drives: 1,
      slots: 4,
      cartridges: 2,
      capacityBytes: 64 << 20,
      earlyWarningBytes: 4 << 20,
    });
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "accurate-host",
      stateDir: join(root, "agent"),
      lib,
    }));
    catalog = createClient({ url: `file:${join(hub.dir, "tapebackarr.db")}` });
    ({ poolId } = await e2e.labelEveryTape(hub, "ACC"));
    sourceId = await e2e.createLocalSource(hub, "Tree", src, agentId);
  }, 300_000);

  afterAll(() => e2e.tearDown(root, catalog, agent, hub));

  let jobId: number;
  let incrementalSet: number;

  it("after mv of a directory, cp -p of an old file, a change and a deletion, the incremental holds the moved tree whole and the restore as of it is the tree as it was", async () => {
    jobId = await e2e.createJob(hub, { name: "Tree nightly", sourceId, poolId, backupType: "incremental" });
    const full = await runJob(jobId);
    expect(await typeOf(full.setId as number)).toBe("full");

    execFileSync("mv", [join(src, "bash"), join(src, "bash-renamed")]);
    const old = join(root, "old.txt");
    await writeFile(old, "an old file from elsewhere\n");
    await utimes(old, new Date("2001-02-03T04:05:06Z"), new Date("2001-02-03T04:05:06Z"));
    execFileSync("cp", ["-p", old, join(src, "sub", "old-copy.txt")]);
    await writeFile(join(src, "keep.txt"), "keep, changed\n");
    await unlink(join(src, "sub", "x.txt"));
    // Rewritten in place: its directory (from the full) keeps its time, the restore must too.
    await writeFile(join(src, "stable", "edited-in-place.txt"), "second, longer\n");

    const run = await runJob(jobId);
    incrementalSet = run.setId as number;
    expect(await typeOf(incrementalSet)).toBe("incremental");
    const got = await contentOf(incrementalSet);
    expect(got.written).toEqual(
      [
        "bash-renamed/nested/four.txt",
        "bash-renamed/run.sh",
        "bash-renamed/to-two",
        "bash-renamed/two.txt",
        "keep.txt",
        "stable/edited-in-place.txt",
        "sub/old-copy.txt",
      ].sort(),
    );
    expect(got.deleted).toEqual(
      [
        "bash",
        "bash/nested",
        "bash/nested/four.txt",
        "bash/run.sh",
        "bash/to-two",
        "bash/two.txt",
        "sub/x.txt",
      ].sort(),
    );

    const plan = (
      await api<{ files: number; tapes: unknown[]; sets: { id: number }[] }>(
        "POST",
        "/api/v1/restores/plan",
        {
          setId: incrementalSet,
          paths: [],
        },
      )
    ).body;
    const want = await snapshot(src);
    expect(plan.files).toBe([...want.values()].filter((s) => s.type !== "dir").length);
    expect(plan.sets.map((s) => s.id)).toEqual([full.setId, incrementalSet]);

    const destination = join(root, "restored");
    const started = await api<{ run: { id: number } }>("POST", "/api/v1/restores", {
      setId: incrementalSet,
      paths: [],
      destination,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const restored = await e2e.runFinished(hub, started.body.run.id);
    expect(restored.state, restored.error ?? "").toBe("completed");
    const totals = (await api<{ filesTotal: number }>("GET", `/api/v1/runs/${restored.id}`)).body;
    expect(totals.filesTotal).toBe(plan.files);
    expect(await snapshot(join(destination, src.slice(1)))).toEqual(want);
  }, 300_000);

  it("an incremental after nothing changed holds nothing", async () => {
    const run = await runJob(jobId);
    expect(await typeOf(run.setId as number)).toBe("incremental");
    expect((await contentOf(run.setId as number)).all).toBe(0);
  }, 300_000);

  it("a differential after two incrementals holds their union, deletions included", async () => {
    const diffJob = await e2e.createJob(hub, {
      name: "Tree weekly",
      sourceId,
      poolId,
      backupType: "incremental",
    });
    await runJob(diffJob);
    await writeFile(join(src, "sub", "monday.txt"), "monday\n");
    await writeFile(join(src, "keep.txt"), "keep, changed on monday\n");
    const first = await runJob(diffJob);
    await writeFile(join(src, "bash-renamed", "tuesday.txt"), "tuesday\n");
    await unlink(join(src, "sub", "y.txt"));
    const second = await runJob(diffJob);
    const monday = await contentOf(first.setId as number);
    const tuesday = await contentOf(second.setId as number);
    expect(monday.written).toEqual(["keep.txt", "sub/monday.txt"]);
    expect(tuesday.written).toEqual(["bash-renamed/tuesday.txt"]);

    expect((await api("PATCH", `/api/v1/jobs/${diffJob}`, { backupType: "differential" })).status).toBe(200);
    const diff = await runJob(diffJob);
    expect(await typeOf(diff.setId as number)).toBe("differential");
    const got = await contentOf(diff.setId as number);
    expect(got.written).toEqual([...monday.written, ...tuesday.written].sort());
    expect(got.deleted).toEqual(["sub/y.txt"]);
  }, 300_000);
});
