import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary, libraryPaths } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 5 §4's proof: the real hub asks the real drive-agent to read a set back from the virtual
 * library; a byte flipped on the tape afterwards is found, and named by file and tape.
 */

type SetView = {
  verifiedAt: string | null;
  verifyResult: string | null;
  segments: { sequence: number; barcode: string; fileNumber: number }[];
};

describe("verify end to end: real hub, real drive-agent, virtual library", () => {
  let root: string;
  let lib: string;
  let src: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let setId: number;

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const finished = (runId: number) => e2e.runFinished(hub, runId, { timeout: 120_000, interval: 200 });
  const verify = async () => {
    const started = await api<{ run: e2e.E2eRun }>("POST", `/api/v1/sets/${setId}/verify`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return finished(started.body.run.id);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-verify-e2e-"));
    lib = join(root, "vtl");
    src = join(root, "src");
    for (const dir of ["docs", "media"]) {
      await mkdir(join(src, dir), { recursive: true });
      for (let i = 0; i < 10; i++)
        await writeFile(join(src, dir, `f-${i}.bin`), randomBytes(50_000 + i * 997));
    }
    await initLibrary({ dir: lib, drives: 1, slots: 4, cartridges: 2, capacityBytes: 64 << 20 });
    let agentId: string;
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "verify-host",
      stateDir: join(root, "agent"),
      lib,
    }));
    const { poolId } = await e2e.labelEveryTape(hub, "Verify");
    const sourceId = await e2e.createLocalSource(hub, "Tree", src, agentId);
    const jobId = await e2e.createJob(hub, { name: "Tree", sourceId, poolId, compression: "none" });
    const backup = await e2e.runJobToEnd(hub, jobId, { timeout: 120_000, interval: 200 });
    expect(backup.state, backup.error ?? "").toBe("completed");
    setId = backup.setId as number;
  }, 240_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("reads the set back and records passed with the date on the set", async () => {
    const before = Date.now();
    const run = await verify();
    expect(run.state, run.error ?? "").toBe("completed");
    const set = (await api<SetView>("GET", `/api/v1/sets/${setId}`)).body;
    expect(set.verifyResult).toBe("passed");
    expect(new Date(set.verifiedAt as string).getTime()).toBeGreaterThanOrEqual(before - 1000);
  }, 120_000);

  it("names the one file whose byte was flipped on tape, in the run's log with its tape and on the set", async () => {
    const set = (await api<SetView>("GET", `/api/v1/sets/${setId}`)).body;
    const segment = set.segments[0] as SetView["segments"][number];
    const catalog = createClient({ url: `file:${join(hub.dir, "tapebackarr.db")}` });
    const victimPath = `${src.slice(1)}/media/f-3.bin`;
    const [victim] = (
      await catalog.execute({
        sql: "select offset from catalog_entries where set_id = ? and dir = ? and name = ?",
        args: [setId, `${src.slice(1)}/media`, "f-3.bin"],
      })
    ).rows as unknown as { offset: number }[];
    catalog.close();
    expect(victim).toBeDefined();
    const dataFile = join(
      libraryPaths(lib).cartridge(segment.barcode),
      `file-${String(segment.fileNumber).padStart(4, "0")}`,
    );
    const data = await readFile(dataFile);
    const at = Number(victim?.offset) + 512 + 20_000;
    data.writeUInt8(data.readUInt8(at) ^ 0x01, at);
    await writeFile(dataFile, data);

    const run = await verify();
    expect(run.state).toBe("failed");
    expect(run.error).toContain(`1 file damaged: ${victimPath} (tape ${segment.barcode})`);
    const logs = (
      await api<{ items: { level: string; message: string; path: string | null }[] }>(
        "GET",
        `/api/v1/runs/${run.id}/logs?limit=500`,
      )
    ).body.items;
    const errors = logs.filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(victimPath);
    expect(errors[0]?.message).toContain(
      `damaged on tape ${segment.barcode}: ${victimPath}: sha256 mismatch`,
    );
    const after = (await api<SetView>("GET", `/api/v1/sets/${setId}`)).body;
    expect(after.verifyResult).toBe(`1 file damaged: ${victimPath} (tape ${segment.barcode})`);
  }, 120_000);
});
