import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/** 48 MiB cartridges: a size no LTO table knows, so only the cartridge itself can have said it. */
const CAPACITY = 48 << 20;

describe("tapes report their capacity: real hub, real drive-agent, virtual library", () => {
  let root: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let labelled: { poolId: number; tapes: { id: number; barcode: string }[] };

  const page = async (path: string) => {
    const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${hub.admin}` } });
    expect(res.status, path).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-capacity-e2e-"));
    const lib = join(root, "vtl");
    await initLibrary({ dir: lib, drives: 1, slots: 3, cartridges: 2, capacityBytes: CAPACITY });
    ({ hub, agent } = await e2e.startHubWithVtlAgent({
      name: "capacity-host",
      stateDir: join(root, "agent"),
      lib,
    }));
    labelled = await e2e.labelEveryTape(hub, "Sized");
  }, 180_000);

  afterAll(() => tearDownAll());
  const tearDownAll = () => e2e.tearDown(root, agent, hub);

  it("every labelled tape carries the cartridge's native capacity in the catalog", async () => {
    const tapes = (
      await hub.api<{ items: { barcode: string; capacityBytes: number | null }[] }>("GET", "/api/v1/tapes")
    ).body.items;
    expect(tapes.map((t) => [t.barcode, t.capacityBytes])).toEqual(
      labelled.tapes.map((t) => [t.barcode, CAPACITY]),
    );
  });

  it("the tape page and the pools page show used of the real capacity, never 'capacity unknown'", async () => {
    const tape = labelled.tapes[0] as { id: number; barcode: string };
    const tapeHtml = await page(`/tapes/${tape.id}`);
    expect(tapeHtml).toContain(`aria-label="Tape ${tape.barcode}: 0% used"`);
    expect(tapeHtml).toContain("0 B of 50.3 MB (0%)");
    expect(tapeHtml).not.toContain("capacity unknown");
    const pools = await page("/pools");
    expect(pools).toContain('aria-label="Pool Sized: 0% used"');
    expect(pools).toContain("0 B of 101 MB (0%)");
    expect(pools).not.toContain("capacity unknown");
    expect(await page("/tapes")).not.toContain("capacity unknown");
  });
});
