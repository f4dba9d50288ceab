import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { HUB_ADMIN_PASSWORD, type HubProcess } from "../helpers/agent-process.ts";
import { launchChromium, pageKeepingDialogs, signInThroughForm } from "../helpers/browser.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";
import {
  type PveStandIn,
  startPveStandIn,
  TOKEN_ID,
  TOKEN_SECRET,
  vmaLike,
} from "../helpers/pve-stand-in.ts";

/**
 * An operator restores a Proxmox VM from tape in Chromium: the guests page lists it (its markup
 * name shown as text) with its last tape backup, and the restore form sends it to qmrestore.
 */
describe("guest restore in the browser, against the real hub and agent", () => {
  let root: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let browser: Browser | undefined;
  let pve: PveStandIn;
  let sourceId: number;
  const vm = vmaLike((3 << 20) + 777);
  const dialogs: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-guest-browser-"));
    pve = await startPveStandIn({
      dir: join(root, "pve"),
      guests: [
        {
          vmid: 100,
          type: "qemu",
          name: "<img src=x onerror=alert(1)>",
          status: "running",
          tags: "tape",
          config: { name: "web", scsi0: "local-lvm:vm-100-disk-0,size=4G" },
          archive: vm,
        },
      ],
    });
    const lib = join(root, "vtl");
    await initLibrary({ dir: lib, drives: 1, slots: 4, cartridges: 1, capacityBytes: 64 << 20 });
    let agentId: string;
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "pve1",
      stateDir: join(root, "agent"),
      lib,
      env: {
        TAPEBACKARR_VZDUMP: pve.tools.vzdump,
        TAPEBACKARR_QMRESTORE: pve.tools.qmrestore,
        TAPEBACKARR_PCT: pve.tools.pct,
        TAPEBACKARR_GUEST_PART_BYTES: String(1 << 20),
      },
    }));
    const { poolId } = await e2e.labelEveryTape(hub, "Guests");
    sourceId = (
      await hub.api<{ id: number }>("POST", "/api/v1/sources", {
        name: "pve1 guests",
        kind: "proxmox",
        agentId,
        options: { apiUrl: pve.url, tokenId: TOKEN_ID, fingerprint: pve.fingerprint, node: "pve1" },
      })
    ).body.id;
    await hub.api("PUT", `/api/v1/sources/${sourceId}/pve-token`, { secret: TOKEN_SECRET });
    const jobId = await e2e.createJob(hub, { name: "guests", sourceId, poolId, compression: "zstd" });
    const run = await e2e.runJobToEnd(hub, jobId);
    expect(run.state, run.error ?? "").toBe("completed");
    browser = await launchChromium();
  }, 180_000);

  afterAll(() => e2e.tearDown(root, browser, agent, hub, pve));

  it("the restore wizard leads to the guest, whose page shows its last tape backup, and its restore form feeds qmrestore", async () => {
    const page = await pageKeepingDialogs(browser as Browser, dialogs);
    await signInThroughForm(page, hub.url, "admin", HUB_ADMIN_PASSWORD);

    await page.goto(`${hub.url}/sources/${sourceId}/guests`);
    await page.getByRole("button", { name: "Discover guests now" }).click();
    await expect.poll(() => page.locator("#discover-result").textContent()).toContain("Discovery asked");
    await vi.waitFor(
      async () => {
        await page.reload();
        if ((await page.locator("#guest-qemu-100").count()) === 0) throw new Error("not discovered yet");
      },
      { timeout: 30_000, interval: 300 },
    );
    // The restore wizard lists the guest and leads to its restore form.
    await page.goto(`${hub.url}/restore`);
    const card = page.locator("#guest-restores");
    expect(await card.locator("td").nth(1).textContent()).toBe("<img src=x onerror=alert(1)>");
    await card.getByRole("link", { name: "Restore this guest" }).click();
    await page.waitForURL(`${hub.url}/sources/${sourceId}/guests#guest-qemu-100`);
    const row = page.locator("#guest-qemu-100");
    expect(await row.locator("td").nth(1).textContent()).toBe("<img src=x onerror=alert(1)>");
    expect(await row.locator("td").nth(9).textContent()).toMatch(/\d{4}-\d\d-\d\d.*set 1/);

    await row.getByText("Restore", { exact: true }).click();
    await row.locator("input[name=vmid]").fill("201");
    await row.locator("input[name=storage]").fill("local-lvm");
    await row.getByRole("button", { name: "Restore from tape" }).click();
    await expect
      .poll(() => row.locator("#restore-qemu-100-result").textContent())
      .toMatch(/Restore run \d+ queued; it reads tape TB0001L9/);
    const runId = Number(
      /run (\d+)/.exec((await row.locator("#restore-qemu-100-result").textContent()) ?? "")?.[1],
    );
    const done = await e2e.runFinished(hub, runId);
    expect(done.state, done.error ?? "").toBe("completed");
    expect((await pve.restored("qmrestore", 201)).equals(vm)).toBe(true);
    expect(await pve.argv("qmrestore")).toEqual(["- 201 --storage local-lvm --unique 1"]);
    expect(dialogs).toEqual([]);
    await page.context().close();
  }, 120_000);
  it("Guests in the main menu lists the guest; the job form previews the guests a selection names and the job keeps them", async () => {
    const context = await (browser as Browser).newContext();
    const page = await context.newPage();
    await signInThroughForm(page, hub.url, "admin", HUB_ADMIN_PASSWORD);

    await page.getByRole("navigation").getByRole("link", { name: "Guests" }).click();
    await page.waitForURL(`${hub.url}/guests`);
    const row = page.locator("#guest-qemu-100");
    expect(await row.locator("td").nth(1).textContent()).toBe("<img src=x onerror=alert(1)>");
    expect(await row.locator("td").nth(9).textContent()).toMatch(/set 1/);

    await page.goto(`${hub.url}/jobs/new`);
    await page.fill("input[name=name]", "web only");
    await page.selectOption("select[name=sourceId]", String(sourceId));
    const preview = page.locator("#guest-preview-new");
    await expect.poll(() => preview.textContent()).toContain("The source's selection names 1 guest on pve1");
    await page.selectOption("select[name=guestBy]", "ids");
    await page.fill("input[name=guestValues]", "100, 555");
    await expect.poll(() => preview.textContent()).toContain("This job selects 1 guest on pve1");
    expect(await preview.locator("li").first().textContent()).toBe(
      "100 <img src=x onerror=alert(1)> (VM, running)",
    );
    expect(await preview.textContent()).toContain("Not on pve1: 555");
    await page.selectOption("select[name=guestMode]", "stop");
    await page.getByRole("button", { name: "Create job" }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    const jobId = Number(new URL(page.url()).pathname.split("/").pop());
    const job = (await hub.api<{ guests: unknown }>("GET", `/api/v1/jobs/${jobId}`)).body;
    expect(job.guests).toMatchObject({ selection: { by: "ids", ids: [100, 555] }, mode: "stop" });
    // The job's page shows the choice it keeps.
    expect(await page.locator("select[name=guestBy]").inputValue()).toBe("ids");
    expect(await page.locator("input[name=guestValues]").inputValue()).toBe("100, 555");
    expect(dialogs).toEqual([]);
    await context.close();
  }, 120_000);
});
