import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { setVtlAlerts, setVtlErrors } from "../../drive-agent/drives/vtl/health.ts";
import { initLibrary, libraryPaths, readLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { TapeMedium } from "../../drive-agent/drives/vtl/medium.ts";
import { openCatalog } from "../../functions/db/client-node.ts";
import { agentCli, type HubProcess, startHubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import { ROOT, type Spawned } from "../helpers/process.ts";

/**
 * Issue 17's proof on the virtual library, through the real hub and the real drive-agent: the
 * changer driven from the hub (inventory, import, export), batch labelling, erase, drive health in
 * a run's log, and an automatic clean when the drive asks for one.
 */

type Tape = {
  id: number;
  barcode: string;
  state: string;
  slot: number | null;
  changerId: number | null;
  location: string | null;
  generation: string | null;
  cleaningUses: number | null;
  poolId: number | null;
};
type Library = {
  changers: { id: number; slots: { slot: number; barcode: string | null; importExport: boolean }[] }[];
  orders: { id: string; op: string; state: string; error: string | null }[];
};

const PACED_AGENT = resolve(ROOT, "test/helpers/paced-drive-agent.ts");
const WAIT = { timeout: 60_000, interval: 150 };

describe("library and drive care end to end: real hub, real drive-agent, virtual library", () => {
  let root: string;
  let lib: string;
  let src: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;
  let changerId: number;
  let poolId: number;

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const tapes = async () => (await api<{ items: Tape[] }>("GET", "/api/v1/tapes?limit=100")).body.items;
  const tape = async (barcode: string) => (await tapes()).find((t) => t.barcode === barcode) as Tape;
  const vtl = async (...args: string[]) => {
    const run = await agentCli("vtl", ...args);
    expect(run.exitCode, run.stderr).toBe(0);
  };
  /** The library order once the agent has finished it (and the next heartbeat has landed). */
  const orderDone = (orderId: string) =>
    vi.waitFor(async () => {
      const order = (await api<Library>("GET", "/api/v1/changers")).body.orders.find((o) => o.id === orderId);
      if (!order || !["done", "failed"].includes(order.state)) throw new Error(`order is ${order?.state}`);
      return order;
    }, WAIT);
  const operate = async (json: unknown) => {
    const res = await api<{ orderId: string }>("POST", `/api/v1/changers/${changerId}/operations`, json);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return orderDone(res.body.orderId);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-library-e2e-"));
    lib = join(root, "vtl");
    src = join(root, "src");
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(join(src, `f-${i}.bin`), randomBytes(1 << 20));
    // Six data cartridges and one cleaning cartridge in ten slots; three mail slots.
    await initLibrary({
      dir: lib,
      drives: 1,
      slots: 10,
      importExportSlots: 3,
      cartridges: 6,
      cleaningCartridges: 1,
      capacityBytes: 64 << 20,
    });
    hub = await startHubProcess();
    ({ agentId, agent } = await e2e.enrollRealAgent(hub, {
      name: "library-host",
      stateDir: join(root, "agent"),
      lib,
      entry: PACED_AGENT,
      env: { TAPEBACKARR_AGENT_HEARTBEAT_MS: "300", TB_TEST_DRIVE_BYTES_PER_SEC: String(1 << 20) },
    }));
    await e2e.firstDriveOnceReported(hub, 7);
    changerId = (await api<Library>("GET", "/api/v1/changers")).body.changers[0]?.id as number;
    poolId = (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Weekly" })).body.id;
  }, 120_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("labels the six blank cartridges into a pool in one action, with the LTO type from the barcode, and leaves the CLN cartridge out", async () => {
    const res = await api<{
      labelled: { barcode: string }[];
      skipped: { barcode: string; reason: string }[];
    }>("POST", `/api/v1/changers/${changerId}/label-blank`, { poolId });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.labelled.map((l) => l.barcode)).toEqual([
      "TB0001L9",
      "TB0002L9",
      "TB0003L9",
      "TB0004L9",
      "TB0005L9",
      "TB0006L9",
    ]);
    expect(res.body.skipped).toEqual([{ barcode: "CLNA0001", reason: "cleaning cartridge" }]);
    await vi.waitFor(async () => {
      const labelled = (await tapes()).filter((t) => t.state === "active");
      if (labelled.length < 6) throw new Error(`${labelled.length} labelled`);
    }, WAIT);
    const all = await tapes();
    for (const t of all.filter((t) => t.barcode.startsWith("TB")))
      expect(t, t.barcode).toMatchObject({ state: "active", poolId, generation: "LTO-9" });
    expect(all.find((t) => t.barcode === "CLNA0001")).toMatchObject({ state: "cleaning", poolId: null });
  }, 120_000);

  it("shows a cartridge moved by hand in the changer where it now is, after an inventory from the hub", async () => {
    const before = await readLibrary(lib);
    const from = before.slots.find((s) => s.barcode === "TB0001L9")?.slot as number;
    const to = before.slots.find((s) => !s.barcode && !s.importExport && s.slot > 6)?.slot as number;
    await vtl("transfer", lib, "--from", String(from), "--to", String(to));
    const order = await operate({ op: "inventory" });
    expect(order.state, order.error ?? "").toBe("done");
    await vi.waitFor(async () => expect((await tape("TB0001L9")).slot).toBe(to), WAIT);
  }, 60_000);

  it("exports a pool's tapes to the mail slots and records them offsite at the location given", async () => {
    const vault = (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Vault" })).body.id;
    for (const barcode of ["TB0002L9", "TB0003L9"])
      expect(
        (await api("PATCH", `/api/v1/tapes/${(await tape(barcode)).id}`, { poolId: vault })).status,
      ).toBe(200);
    const res = await api<{ orderId: string; tapes: string[] }>(
      "POST",
      `/api/v1/changers/${changerId}/export`,
      {
        poolId: vault,
        location: "Vault, site B",
      },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.tapes.sort()).toEqual(["TB0002L9", "TB0003L9"]);
    expect((await orderDone(res.body.orderId)).state).toBe("done");
    const mail = (await readLibrary(lib)).slots.filter((s) => s.importExport).map((s) => s.barcode);
    expect(mail.filter(Boolean).sort()).toEqual(["TB0002L9", "TB0003L9"]);
    for (const barcode of ["TB0002L9", "TB0003L9"])
      expect(await tape(barcode)).toMatchObject({ state: "offsite", location: "Vault, site B" });
    // The operator takes them out; the hub keeps where they went.
    for (const s of (await readLibrary(lib)).slots.filter((s) => s.importExport && s.barcode))
      await vtl("remove", lib, "--slot", String(s.slot));
    await vi.waitFor(async () => expect((await tape("TB0002L9")).changerId).toBeNull(), WAIT);
    expect(await tape("TB0002L9")).toMatchObject({ state: "offsite", location: "Vault, site B", slot: null });
  }, 90_000);

  it("imports a blank, a TapeBackarr and a foreign cartridge through the mail slots, each registered for what it holds", async () => {
    await vtl("insert", lib, "TB0002L9");
    await vtl("insert", lib, "NEW001L8", "--kind", "blank");
    await vtl("insert", lib, "FRN001L7", "--kind", "foreign");
    const order = await operate({ op: "import" });
    expect(order.state, order.error ?? "").toBe("done");
    const library = await readLibrary(lib);
    expect(library.slots.filter((s) => s.importExport && s.barcode)).toEqual([]);
    for (const barcode of ["TB0002L9", "NEW001L8", "FRN001L7"])
      expect(library.slots.find((s) => s.barcode === barcode)?.importExport, barcode).toBe(false);
    await vi.waitFor(async () => expect((await tape("FRN001L7")).slot).not.toBeNull(), WAIT);
    expect(await tape("TB0002L9")).toMatchObject({ state: "active", location: null });
    expect(await tape("NEW001L8")).toMatchObject({ state: "blank", generation: "LTO-8" });
    expect(await tape("FRN001L7")).toMatchObject({ state: "foreign", generation: "LTO-7" });
  }, 90_000);

  let setTape: Tape;

  it("writes a TapeAlert flag that appears during a run into that run's log", async () => {
    const sourceId = await e2e.createLocalSource(hub, "Tree", src, agentId);
    const jobId = await e2e.createJob(hub, { name: "Tree", sourceId, poolId, compression: "none" });
    const queued = await api<e2e.E2eRun>("POST", `/api/v1/jobs/${jobId}/run`);
    expect(queued.status).toBe(202);
    await vi.waitFor(async () => {
      const run = (await api<e2e.E2eRun>("GET", `/api/v1/runs/${queued.body.id}`)).body;
      if (run.bytesDone === 0) throw new Error(`run is ${run.state} at ${run.bytesDone} bytes`);
    }, WAIT);
    // The drive's health file, as the worn drive would raise it mid-write.
    await setVtlAlerts({ dir: lib, drive: 0, set: [2] });
    const run = await e2e.runFinished(hub, queued.body.id, { timeout: 120_000, interval: 200 });
    // The set is whole; the drive's warning makes the run one to look at.
    expect(run.state, run.error ?? "").toBe("completed-with-warnings");
    const logs = await api<{ items: { level: string; message: string }[] }>(
      "GET",
      `/api/v1/runs/${run.id}/logs?limit=500`,
    );
    expect(logs.body.items).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: expect.stringMatching(
          /^TapeAlert 2 "Write warning" \(warning\) raised by .* during this run$/,
        ),
      }),
    );
    await setVtlAlerts({ dir: lib, drive: 0, clear: [2] });
    const set = (await api<{ segments: { barcode: string }[] }>("GET", `/api/v1/sets/${run.setId}`)).body;
    setTape = await tape(set.segments[0]?.barcode as string);
  }, 150_000);

  it("exports the media set the run wrote to the mail slots in one action, recorded offsite, and takes it back in", async () => {
    const mediaSetId = (await api<{ mediaSetId: number | null }>("GET", `/api/v1/tapes/${setTape.id}`)).body
      .mediaSetId;
    expect(mediaSetId).not.toBeNull();
    const all = (
      await api<{ items: (Tape & { mediaSetId: number | null })[] }>("GET", "/api/v1/tapes?limit=100")
    ).body.items;
    const members = all.filter((t) => t.mediaSetId === mediaSetId).map((t) => t.barcode);
    const res = await api<{ orderId: string; tapes: string[] }>(
      "POST",
      `/api/v1/changers/${changerId}/export`,
      {
        mediaSetId,
        location: "Fire safe",
      },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.tapes.sort()).toEqual(members.sort());
    expect((await orderDone(res.body.orderId)).state).toBe("done");
    const mail = (await readLibrary(lib)).slots
      .filter((s) => s.importExport && s.barcode)
      .map((s) => s.barcode);
    expect(mail.sort()).toEqual(members.sort());
    for (const barcode of members)
      expect(await tape(barcode)).toMatchObject({ state: "offsite", location: "Fire safe" });
    // Back from the safe: imported through the mail slots, the set's tape is at home again.
    expect((await operate({ op: "import" })).state).toBe("done");
    await vi.waitFor(async () => expect((await tape(setTape.barcode)).location).toBeNull(), WAIT);
    expect((await readLibrary(lib)).slots.filter((s) => s.importExport && s.barcode)).toEqual([]);
  }, 90_000);

  it("refuses to erase a tape holding a retained set, naming the set, and erases it once expired so it reads blank", async () => {
    const erase = (json: unknown) =>
      api<{ orderId: string; error?: { message: string } }>(
        "POST",
        `/api/v1/tapes/${setTape.id}/erase`,
        json,
      );
    const unconfirmed = await erase({ confirm: "nope" });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error?.message).toMatch(
      new RegExp(
        `Type the barcode ${setTape.barcode} to confirm: Erasing ${setTape.barcode} destroys 1 backup set\\(s\\)`,
      ),
    );
    const refused = await erase({ confirm: setTape.barcode });
    expect(refused.status).toBe(409);
    // The lifecycle rule (tapes/reuse-refusal.ts) names what keeps the tape: its media set.
    expect(refused.body.error?.message).toMatch(
      new RegExp(
        `^Erase refused: Tape ${setTape.barcode} belongs to media set #\\d+, which is still being written$`,
      ),
    );
    await retentionRunsOut(setTape.id);
    const done = await erase({ confirm: setTape.barcode });
    expect(done.status, JSON.stringify(done.body)).toBe(202);
    expect((await orderDone(done.body.orderId)).state).toBe("done");
    expect(await tape(setTape.barcode)).toMatchObject({ state: "blank", poolId: null });
    // Nothing is left on the cartridge: it reads as blank (end of data at BOT).
    const medium = await TapeMedium.open(libraryPaths(lib).cartridge(setTape.barcode));
    expect(medium.usedBytes).toBe(0);
  }, 90_000);

  /**
   * Stands in for the scheduler's expiry once the retention has run out (media-quarter-e2e proves
   * that path over simulated weeks): the tape's media set, its sets and the tape become expired.
   */
  async function retentionRunsOut(tapeId: number): Promise<void> {
    const catalog = openCatalog(`file:${join(hub.dir, "tapebackarr.db")}`);
    try {
      const now = Date.now();
      await catalog.client.batch(
        [
          {
            sql: "update media_sets set state = 'expired', expired_at = ? where id = (select media_set_id from tapes where id = ?)",
            args: [now, tapeId],
          },
          {
            sql: "update backup_sets set state = 'expired' where id in (select set_id from backup_set_segments where tape_id = ?)",
            args: [tapeId],
          },
          { sql: "update tapes set state = 'expired' where id = ?", args: [tapeId] },
        ],
        "write",
      );
    } finally {
      catalog.client.close();
    }
  }

  it("cleans the drive with the CLN cartridge by itself when the drive says cleaning required, says so on the attention strip, and the flag clears", async () => {
    await vtl("alert", lib, "--drive", "0", "--set", "20");
    await vi.waitFor(async () => expect((await tape("CLNA0001")).cleaningUses).toBe(1), WAIT);
    const drives = (await api<{ items: { id: number }[] }>("GET", "/api/v1/drives")).body.items;
    await vi.waitFor(async () => {
      const health = (
        await api<{ health: { alerts: unknown[] } }>("GET", `/api/v1/drives/${drives[0]?.id}/health`)
      ).body;
      expect(health.health.alerts).toEqual([]);
    }, WAIT);
    const attention = await fetch(`${hub.url}/partials/attention`, {
      headers: { authorization: `Bearer ${hub.admin}` },
    });
    expect(await attention.text()).toMatch(
      /was cleaned automatically with CLNA0001 .*TapeAlert 20 Cleaning required/,
    );
    const audit = (
      await api<{ items: { action: string; actor: string; details: Record<string, unknown> }[] }>(
        "GET",
        "/api/v1/audit-logs?limit=200",
      )
    ).body.items;
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: "drive.tapealert",
        actor: "system",
        details: expect.objectContaining({ code: 20 }),
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: "drive.cleaned",
        details: expect.objectContaining({ cartridge: "CLNA0001", automatic: true, uses: 1 }),
      }),
    );
    // The operator hears of it as events the notifier routes: the flag, then the clean.
    const news = (await api<{ kind: string; message: string }[]>("GET", "/api/v1/events?limit=100")).body;
    expect(news).toContainEqual(
      expect.objectContaining({
        kind: "drive.cleaning",
        message: expect.stringMatching(/TapeAlert 20 "Cleaning required"/),
      }),
    );
    expect(news).toContainEqual(
      expect.objectContaining({
        kind: "drive.cleaning",
        message: expect.stringMatching(/was cleaned with CLNA0001/),
      }),
    );
    const library = await readLibrary(lib);
    expect(library.slots.find((s) => s.barcode === "CLNA0001")?.importExport).toBe(false);
  }, 90_000);

  it("stores rising uncorrected errors against the loaded tape, recommends retiring it, and shows health on the drive, tape and library pages", async () => {
    const slot = (await readLibrary(lib)).slots.find((s) => s.barcode === "TB0004L9")?.slot as number;
    expect((await operate({ op: "load", slot })).state).toBe("done");
    const worn = await tape("TB0004L9");
    const drives = (await api<{ items: { id: number }[] }>("GET", "/api/v1/drives")).body.items;
    const driveId = drives[0]?.id as number;
    type Health = { readings: { counters: { writeUncorrected: number } | null }[]; retire: string | null };
    for (const writeUncorrected of [1, 4]) {
      await setVtlErrors({ dir: lib, drive: 0, errors: { writeUncorrected } });
      await vi.waitFor(async () => {
        const health = (await api<Health>("GET", `/api/v1/tapes/${worn.id}/health`)).body;
        expect(health.readings[0]?.counters?.writeUncorrected).toBe(writeUncorrected);
      }, WAIT);
    }
    const health = (await api<Health>("GET", `/api/v1/tapes/${worn.id}/health`)).body;
    expect(health.retire).toBe(
      "uncorrected errors rising (4 in the latest reading): copy its sets to another tape and retire it",
    );
    const page = async (path: string) => {
      const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${hub.admin}` } });
      expect(res.status, path).toBe(200);
      return res.text();
    };
    expect(await page(`/tapes/${worn.id}`)).toContain(
      "Recommended for retirement: uncorrected errors rising",
    );
    const drivePage = await page(`/drives/${driveId}`);
    expect(drivePage).toMatch(/Write errors uncorrected<\/th>\s*<td>4<\/td>/);
    expect(drivePage).toContain("TB0004L9");
    const libraryPage = await page("/library");
    expect(libraryPage).toContain("CLNA0001");
    expect(libraryPage).toContain("1 of 50 uses");
    await setVtlErrors({ dir: lib, drive: 0, errors: { writeUncorrected: 0 } });
    expect((await operate({ op: "unload", driveId, slot: null })).state).toBe("done");
    expect((await readLibrary(lib)).drives[0]?.barcode).toBeNull();
  }, 90_000);
});
