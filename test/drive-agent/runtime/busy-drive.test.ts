import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LabelOrderBody } from "../../../contracts/agent-protocol.ts";
import { initLibrary, readLibrary } from "../../../drive-agent/drives/vtl/library.ts";
import { enrollAndStartVtlAgent, tearDown } from "../../helpers/e2e.ts";
import type { Spawned } from "../../helpers/process.ts";
import { startStandInHub } from "../../helpers/stand-in-hub.ts";
import { backupOrder } from "../pipeline/helpers.ts";

/** Issue 11: an order queued behind a backup that waits for a tape must not stall the other drive. */
describe("an agent whose drive is held by a backup waiting for a tape", () => {
  let root: string;
  let lib: string;
  let hub: Awaited<ReturnType<typeof startStandInHub>>;
  let agent: Spawned;

  const label = (barcode: string, drive: number, uuid = crypto.randomUUID()): LabelOrderBody => ({
    kind: "label",
    runId: null,
    drive: { devicePath: `vtl:${lib}#${drive}` },
    tape: { barcode, label: barcode, uuid, pool: "weekly" },
    force: false,
  });
  const resultOf = (jti: string) =>
    vi.waitFor(
      () => {
        const result = hub.results.find((r) => r.orderId === jti);
        if (!result) throw new Error(`no result for ${jti} yet`);
        return result.body;
      },
      { timeout: 60_000, interval: 50 },
    );
  const serve = async (body: Parameters<typeof hub.sign>[0]) => {
    const jti = crypto.randomUUID();
    hub.serve(await hub.sign(body, { jti }));
    return jti;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-busy-drive-"));
    lib = join(root, "vtl");
    await initLibrary({ dir: lib, drives: 2, slots: 4, cartridges: 3, capacityBytes: 8 << 20 });
    hub = await startStandInHub();
    agent = await enrollAndStartVtlAgent({
      hubUrl: hub.url,
      token: "t".repeat(32),
      stateDir: join(root, "state"),
      lib,
    });
  });

  afterAll(() => tearDown(root, agent, hub));

  it("still takes and runs an order for its free drive", async () => {
    const uuid = crypto.randomUUID();
    expect(await resultOf(await serve(label("TB0001L9", 0, uuid)))).toMatchObject({ state: "completed" });
    const src = join(root, "src");
    await mkdir(src);
    await writeFile(join(src, "big.bin"), randomBytes(12 << 20));
    const tape = { barcode: "TB0001L9", label: "TB0001L9", uuid, nextFile: 1 };
    const backup = await serve(
      backupOrder(tape, src, { drive: { devicePath: `vtl:${lib}#0` }, pool: { id: 1, name: "weekly" } }),
    );
    // Waiting for a tape: the full one went back to its slot and drive 0 is empty.
    await vi.waitFor(
      async () => {
        if (!hub.acks.includes(backup)) throw new Error("backup not taken yet");
        if ((await readLibrary(lib)).drives[0]?.barcode !== null) throw new Error("drive 0 still loaded");
      },
      { timeout: 60_000, interval: 50 },
    );
    const behind = await serve(label("TB0002L9", 0));
    const free = await serve(label("TB0003L9", 1));
    expect(await resultOf(free)).toMatchObject({ state: "completed" });
    expect(hub.acks).toContain(behind);
    expect(hub.results.map((r) => r.orderId)).not.toContain(backup);
  }, 120_000);
});
