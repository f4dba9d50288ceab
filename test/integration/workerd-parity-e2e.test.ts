import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary, readLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { agentCli } from "../helpers/agent-process.ts";
import { type BotApi, startBotApi } from "../helpers/bot-api.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";
import {
  type PveStandIn,
  startPveStandIn,
  TOKEN_ID,
  TOKEN_SECRET,
  vmaLike,
} from "../helpers/pve-stand-in.ts";
import { startWorkerdHub, type WorkerdHub } from "../helpers/wrangler.ts";

/**
 * The newer features under workerd (`wrangler dev`, a local D1) with the real drive-agent process
 * on a virtual library, as the Node end-to-end tests show them: batch labelling and an inventory
 * through changer orders, Proxmox discovery with a guest backup and restore, a pool key rotation
 * with an encrypted backup and restore, a catalog job refused with the reason (D1 has no export a
 * Worker can call), and Telegram delivery from the cron trigger (fetch).
 */

const BOT_TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789";
const PART = 1 << 20;
const WAIT = { timeout: 90_000, interval: 200 };
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

type Tape = { id: number; barcode: string; state: string; slot: number | null; poolId: number | null };
type Library = {
  changers: { id: number }[];
  orders: { id: string; state: string; error: string | null }[];
};

describe("the newer features under workerd, with the real agent", () => {
  let root: string;
  let lib: string;
  let hub: WorkerdHub;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;
  let pve: PveStandIn;
  let bot: BotApi;
  let vm: Buffer;

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  /** A page's HTML as the signed-in admin (the API's bearer token works for pages too). */
  const page = (path: string) => e2e.pageHtml(hub, path);
  const tapes = async () => (await api<{ items: Tape[] }>("GET", "/api/v1/tapes?limit=100")).body.items;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-workerd-parity-"));
    lib = join(root, "vtl");
    vm = vmaLike(2 * PART + 4_321);
    pve = await startPveStandIn({
      dir: join(root, "pve"),
      guests: [
        {
          vmid: 100,
          type: "qemu",
          name: "web",
          status: "running",
          tags: "tape",
          config: { name: "web", scsi0: "local-lvm:vm-100-disk-0,size=4G" },
          archive: vm,
        },
        {
          vmid: 101,
          type: "qemu",
          name: "idle",
          status: "stopped",
          config: { name: "idle", scsi0: "local-lvm:vm-101-disk-0,size=1G" },
          archive: vmaLike(1000),
        },
      ],
    });
    bot = await startBotApi(BOT_TOKEN);
    await initLibrary({ dir: lib, drives: 1, slots: 6, cartridges: 3, capacityBytes: 64 << 20 });
    hub = await startWorkerdHub({ POLL_INTERVAL_MS: "100", TELEGRAM_API_ROOT: bot.url });
    ({ agentId, agent } = await e2e.enrollRealAgent(hub, {
      name: "pve1",
      stateDir: join(root, "agent"),
      lib,
      env: {
        TAPEBACKARR_AGENT_HEARTBEAT_MS: "300",
        TAPEBACKARR_VZDUMP: pve.tools.vzdump,
        TAPEBACKARR_QMRESTORE: pve.tools.qmrestore,
        TAPEBACKARR_PCT: pve.tools.pct,
        TAPEBACKARR_GUEST_PART_BYTES: String(PART),
      },
    }));
    await e2e.firstDriveOnceReported(hub, 3);
    poolId = (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Parity" })).body.id;
    // Subscribed before any run, so the runs below leave their notifications in the outbox.
    const saved = await api("PUT", "/api/v1/settings/notifications/telegram", {
      enabled: true,
      chatId: "-100123",
      botToken: BOT_TOKEN,
      events: ["run.completed", "run.warnings"],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  }, 360_000);

  afterAll(() => e2e.tearDown(root, agent, hub, pve, bot), 60_000);

  it("labels the blank cartridges through the changer in one action, and an inventory finds one moved by hand", async () => {
    const changerId = (await api<Library>("GET", "/api/v1/changers")).body.changers[0]?.id as number;
    const res = await api<{ labelled: { barcode: string }[] }>(
      "POST",
      `/api/v1/changers/${changerId}/label-blank`,
      { poolId },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.labelled.map((l) => l.barcode)).toEqual(["TB0001L9", "TB0002L9", "TB0003L9"]);
    await vi.waitFor(async () => {
      const active = (await tapes()).filter((t) => t.state === "active" && t.poolId === poolId);
      if (active.length < 3) throw new Error(`${active.length} labelled`);
    }, WAIT);

    // A cartridge in a slot (one may be in the drive after labelling) is moved to an empty slot by hand.
    const before = await readLibrary(lib);
    const inSlot = before.slots.find((s) => s.barcode && !s.importExport);
    const [barcode, from] = [inSlot?.barcode as string, inSlot?.slot as number];
    const to = before.slots.find((s) => !s.barcode && !s.importExport)?.slot as number;
    const moved = await agentCli("vtl", "transfer", lib, "--from", String(from), "--to", String(to));
    expect(moved.exitCode, moved.stderr).toBe(0);
    const queued = await api<{ orderId: string }>("POST", `/api/v1/changers/${changerId}/operations`, {
      op: "inventory",
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const order = await vi.waitFor(async () => {
      const o = (await api<Library>("GET", "/api/v1/changers")).body.orders.find(
        (x) => x.id === queued.body.orderId,
      );
      if (!o || !["done", "failed"].includes(o.state)) throw new Error(`order is ${o?.state}`);
      return o;
    }, WAIT);
    expect(order.state, order.error ?? "").toBe("done");
    await vi.waitFor(
      async () => expect((await tapes()).find((t) => t.barcode === barcode)?.slot).toBe(to),
      WAIT,
    );
  }, 120_000);

  it("discovers the PVE node's guests, backs up the guests the job chose and restores one through qmrestore", async () => {
    const created = await api<{ id: number }>("POST", "/api/v1/sources", {
      name: "pve1 guests",
      kind: "proxmox",
      agentId,
      options: { apiUrl: pve.url, tokenId: TOKEN_ID, fingerprint: pve.fingerprint, node: "pve1" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sourceId = created.body.id;
    expect((await api("PUT", `/api/v1/sources/${sourceId}/pve-token`, { secret: TOKEN_SECRET })).status).toBe(
      200,
    );
    expect((await api("POST", `/api/v1/sources/${sourceId}/discover`)).status).toBe(202);
    type Inventory = { attemptedAt: string | null; error: string | null; guests: { vmid: number }[] };
    const inv = await vi.waitFor(async () => {
      const body = (await api<Inventory>("GET", `/api/v1/sources/${sourceId}/guests`)).body;
      if (!body.attemptedAt) throw new Error("not discovered yet");
      return body;
    }, WAIT);
    expect(inv.error).toBeNull();
    expect(inv.guests.map((g) => g.vmid)).toEqual([100, 101]);

    // The source says where (PVE and agent); the job says which guests: here by tag, so 101 stays out.
    const jobId = await e2e.createJob(hub, {
      name: "tagged guests",
      sourceId,
      poolId,
      compression: "zstd",
      guests: { selection: { by: "tags", tags: ["tape"] }, mode: "stop" },
    });
    const run = await e2e.runJobToEnd(hub, jobId, WAIT);
    expect(run.state, run.error ?? "").toBe("completed");
    expect(await pve.argv("vzdump")).toEqual(["100 --stdout 1 --mode stop --compress 0"]);
    type GuestBackup = { id: number; vmid: number; state: string; bytes: number; sha256: string | null };
    const backups = (await api<{ items: GuestBackup[] }>("GET", `/api/v1/guest-backups?setId=${run.setId}`))
      .body.items;
    expect(backups.map((b) => [b.vmid, b.state, b.bytes, b.sha256])).toEqual([
      [100, "completed", vm.length, sha256(vm)],
    ]);

    // The pages read from D1 too: Guests with the last tape backup, and the job form's preview.
    const guestsPage = await page("/guests");
    expect(guestsPage.slice(guestsPage.indexOf('id="guest-qemu-100"')).split("</tr>")[0]).toContain(
      `href="/restore/sets/${run.setId}"`,
    );
    const preview = await page(
      `/partials/guest-selection?sourceId=${sourceId}&guestBy=ids&guestValues=101,999&guestMode=stop`,
    );
    expect(preview).toContain("This job selects 1 guest on pve1");
    expect(preview).toContain("Not on pve1: 999");

    const started = await api<{ run: { id: number } }>(
      "POST",
      `/api/v1/guest-backups/${backups[0]?.id}/restore`,
      { target: "pve", vmid: 200, storage: "local-lvm" },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const restored = await e2e.runFinished(hub, started.body.run.id, WAIT);
    expect(restored.state, restored.error ?? "").toBe("completed");
    expect((await pve.restored("qmrestore", 200)).equals(vm)).toBe(true);
  }, 180_000);

  it("after a pool key rotation a backup is encrypted with the new key and restores", async () => {
    const src = join(root, "src");
    await mkdir(src);
    await writeFile(join(src, "notes.txt"), "encrypted under workerd\n");
    const rotated = await api<{ key: { fingerprint: string } }>(
      "POST",
      `/api/v1/pools/${poolId}/rotate-key`,
      {},
    );
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const sourceId = await e2e.createLocalSource(hub, "notes", src, agentId);
    const jobId = await e2e.createJob(hub, { name: "notes", sourceId, poolId, compression: "zstd" });
    const run = await e2e.runJobToEnd(hub, jobId, WAIT);
    expect(run.state, run.error ?? "").toBe("completed");
    const set = (await api<{ encryptionKeyFingerprint: string | null }>("GET", `/api/v1/sets/${run.setId}`))
      .body;
    expect(set.encryptionKeyFingerprint).toBe(rotated.body.key.fingerprint);

    const path = join(src, "notes.txt").slice(1);
    const destination = join(root, "restored");
    const started = await api<{ run: e2e.E2eRun }>("POST", "/api/v1/restores", {
      setId: run.setId,
      paths: [path],
      destination,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const restored = await e2e.runFinished(hub, started.body.run.id, WAIT);
    expect(restored.state, restored.error ?? "").toBe("completed");
    expect(await readFile(join(destination, path), "utf8")).toBe("encrypted under workerd\n");
  }, 180_000);

  it("a catalog job's run fails saying why and what to do: a Worker cannot export D1", async () => {
    const jobId = await e2e.createJob(hub, { name: "catalog", kind: "catalog", poolId });
    const run = await e2e.runJobToEnd(hub, jobId, WAIT);
    expect(run.state).toBe("failed");
    expect(run.error).toContain("catalog backups need the Node hub with its embedded catalog file");
    expect(run.error).toContain("wrangler d1 export");
  }, 120_000);

  it("the cron trigger delivers the runs' notifications through the Bot API (Telegram over fetch)", async () => {
    // On workerd only the cron trigger drains the outbox: nothing went out while the runs ran.
    expect(bot.messages).toEqual([]);
    const tick = await hub.scheduled("* * * * *");
    expect(tick.status).toBe(200);
    // The guest backup and the encrypted backup completed above; each is one message to the chat.
    const sent = await vi.waitFor(() => {
      const texts = bot.messages.map((m) => m.text).join("\n");
      if (!texts.includes("tagged guests") || !texts.includes("notes")) throw new Error(texts || "none yet");
      return bot.messages;
    }, WAIT);
    expect(new Set(sent.map((m) => m.chatId))).toEqual(new Set(["-100123"]));
  }, 60_000);
});
