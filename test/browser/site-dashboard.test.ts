import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { setVtlAlerts } from "../../drive-agent/drives/vtl/health.ts";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { HUB_ADMIN_PASSWORD, type HubProcess, startHubProcess } from "../helpers/agent-process.ts";
import { launchChromium, pageKeepingDialogs, signInThroughForm } from "../helpers/browser.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

const SOUTH = "<b>South</b>";

/**
 * The dashboard in Chromium with two real agents at two sites: one row per site (agents up,
 * drives busy, what needs an operator there, the site's markup name shown as text), and the site
 * select narrowing the page to one site.
 */
describe("the dashboard's per-site rows and site filter in the browser", () => {
  let root: string;
  let hub: HubProcess;
  const agents: Spawned[] = [];
  let browser: Browser | undefined;
  const siteIds: Record<string, number> = {};
  const dialogs: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-site-browser-"));
    hub = await startHubProcess();
    for (const [key, name] of [
      ["north", "North"],
      ["south", SOUTH],
    ] as const) {
      const lib = join(root, `vtl-${key}`);
      await initLibrary({
        dir: lib,
        drives: 1,
        slots: 2,
        cartridges: 1,
        capacityBytes: 16 << 20,
        barcodePrefix: key === "north" ? "NO" : "SO",
      });
      const site = await hub.api<{ id: number }>("POST", "/api/v1/sites", { name });
      expect(site.status, JSON.stringify(site.body)).toBe(201);
      siteIds[key] = site.body.id;
      const agent = await hub.api<{ enrollmentToken: string }>("POST", "/api/v1/agents", {
        name: `host-${key}`,
        siteId: site.body.id,
      });
      agents.push(
        await e2e.enrollAndStartVtlAgent({
          hubUrl: hub.url,
          token: agent.body.enrollmentToken,
          stateDir: join(root, `agent-${key}`),
          lib,
          env: { TAPEBACKARR_AGENT_HEARTBEAT_MS: "300" },
        }),
      );
      // The southern drive raises a TapeAlert flag: something for an operator there.
      if (key === "south") await setVtlAlerts({ dir: lib, drive: 0, set: [20] });
    }
    await vi.waitFor(
      async () => {
        const drives = (
          await hub.api<{ items: { health: { alerts: unknown[] } | null }[] }>("GET", "/api/v1/drives")
        ).body.items;
        if (drives.length < 2 || !drives.some((d) => (d.health?.alerts ?? []).length > 0))
          throw new Error("not reported yet");
      },
      { timeout: 30_000, interval: 200 },
    );
    browser = await launchChromium();
  }, 120_000);

  afterAll(() => e2e.tearDown(root, browser, ...agents, hub));

  it("shows a row per site and narrows the page to the site chosen in the filter", async () => {
    const page = await pageKeepingDialogs(browser as Browser, dialogs);
    await signInThroughForm(page, hub.url, "admin", HUB_ADMIN_PASSWORD);

    const north = page.locator(`#site-rows tr[data-site="${siteIds.north}"]`);
    const south = page.locator(`#site-rows tr[data-site="${siteIds.south}"]`);
    expect(await north.locator("td").first().textContent()).toBe("North");
    expect(await south.locator("td").first().textContent()).toBe(SOUTH);
    expect(await north.locator(".agents-up").textContent()).toBe("1 / 1");
    expect(await south.locator(".agents-up").textContent()).toBe("1 / 1");
    expect(await north.locator(".drives-busy").textContent()).toBe("0 / 1");
    expect(await north.locator(".site-attention").textContent()).toBe("nothing");
    expect(await south.locator(".site-attention").textContent()).toMatch(/on host-south reports/);

    const agentsCard = page
      .locator("section.card", { hasText: "Agents and drives" })
      .locator("table")
      .first();
    expect(await agentsCard.textContent()).toContain("host-south");
    await page.locator("#site-rows select[name=site]").selectOption(String(siteIds.north));
    await page.locator("#site-rows").getByRole("button", { name: "Show" }).click();
    await page.waitForURL(`${hub.url}/?site=${siteIds.north}`);
    const narrowed = await page
      .locator("section.card", { hasText: "Agents and drives" })
      .locator("table")
      .first()
      .textContent();
    expect(narrowed).toContain("host-north");
    expect(narrowed).not.toContain("host-south");
    expect(await page.locator("#site-rows select[name=site]").inputValue()).toBe(String(siteIds.north));
    // Every site keeps its row while the page shows one.
    expect(await page.locator("#site-rows tbody tr").count()).toBe(2);
    expect(dialogs).toEqual([]);
    await page.context().close();
  }, 60_000);
});
