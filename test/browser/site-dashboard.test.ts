import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
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

  async function signIn(username: string, password: string): Promise<Page> {
    const page = await pageKeepingDialogs(browser as Browser, dialogs);
    await signInThroughForm(page, hub.url, username, password);
    return page;
  }

  /** Marks the document, so a later check sees whether the page was loaded again or swapped in place. */
  const markDocument = (page: Page) =>
    page.evaluate(() => document.documentElement.setAttribute("data-mark", "1"));
  const stillMarked = (page: Page) => page.evaluate(() => document.documentElement.getAttribute("data-mark"));

  it("lets an operator of one site create a pool and a source there only", async () => {
    const user = await hub.api<{ id: number }>("POST", "/api/v1/users", {
      username: "ops-south",
      password: "south-operator-password",
      role: "operator",
    });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    const roles = await hub.api("PUT", `/api/v1/users/${user.body.id}/site-roles`, {
      sites: [{ siteId: siteIds.south, role: "operator" }],
    });
    expect(roles.status, JSON.stringify(roles.body)).toBe(200);
    const page = await signIn("ops-south", "south-operator-password");

    // Pools: the site select offers South alone, preselected; the pool is made there.
    await page.goto(`${hub.url}/pools`);
    const newPool = page.locator('form[hx-post="/pools"]');
    const offered = () =>
      newPool
        .locator("select[name=siteId] option")
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(await offered()).toEqual([String(siteIds.south)]);
    await newPool.locator("input[name=name]").fill("south weekly");
    await newPool.getByRole("button", { name: "Create pool" }).click();
    const card = page.locator("section.card", { hasText: "south weekly" });
    await card.waitFor();
    expect(await card.locator(".pool-site").textContent()).toBe(SOUTH);

    // A form made to send North (an option the select never had) is refused in the form itself.
    await markDocument(page);
    await newPool.locator("input[name=name]").fill("north by stealth");
    await newPool.locator("select[name=siteId]").evaluate((select, north) => {
      const option = new Option("North", north, true, true);
      (select as HTMLSelectElement).add(option);
    }, String(siteIds.north));
    await newPool.getByRole("button", { name: "Create pool" }).click();
    const refusal = page.locator("#new-pool-result .alert.error");
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(
      new RegExp(`ops-south may not do this: your role at site ${siteIds.north} is none; this needs operate`),
    );
    expect(await stillMarked(page)).toBe("1");
    const pools = await hub.api<{ items: { name: string; siteId: number | null }[] }>("GET", "/api/v1/pools");
    expect(pools.body.items.map((p) => [p.name, p.siteId])).toEqual([["south weekly", siteIds.south]]);

    // Sources: South preselected, and only South's agent to choose.
    await page.goto(`${hub.url}/sources`);
    const newSource = page.locator('form[hx-post="/sources"]');
    expect(await newSource.locator("select[name=siteId]").inputValue()).toBe(String(siteIds.south));
    const agentOptions = await newSource.locator("select[name=agentId] option").allTextContents();
    expect(agentOptions).toEqual([`host-south (${SOUTH})`]);
    await newSource.locator("input[name=name]").fill("south files");
    await newSource.locator("input[name=paths]").fill("/srv/south");
    await newSource.getByRole("button", { name: "Create source" }).click();
    await page.locator("tr", { hasText: "south files" }).waitFor();
    await page.context().close();
  }, 60_000);

  it("shows a row per site and narrows the dashboard, and a list in place, to the site chosen in the filter", async () => {
    const page = await signIn("admin", HUB_ADMIN_PASSWORD);

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
    await markDocument(page);
    // Changing the select is enough (the Show button is for browsers without script).
    await page.locator("#site-rows select[name=site]").selectOption(String(siteIds.north));
    await page.waitForURL(`${hub.url}/?site=${siteIds.north}`);
    await page
      .locator("section.card", { hasText: "Agents and drives" })
      .getByText("host-south")
      .waitFor({ state: "detached" });
    expect(await stillMarked(page)).toBe("1");
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
    // The site filter of a list swaps the list in place, keeps the URL shareable, and Back returns.
    expect(
      (await hub.api("POST", "/api/v1/pools", { name: "north monthly", siteId: siteIds.north })).status,
    ).toBe(201);
    await page.goto(`${hub.url}/pools`);
    const names = () => page.locator("section.card h2").allTextContents();
    expect(await names()).toEqual(expect.arrayContaining(["north monthly", "south weekly"]));
    await markDocument(page);
    await page.locator("select#site-filter").selectOption(String(siteIds.north));
    await page.waitForURL(`${hub.url}/pools?site=${siteIds.north}`);
    await page.locator("section.card", { hasText: "south weekly" }).waitFor({ state: "detached" });
    expect(await names()).toContain("north monthly");
    expect(await stillMarked(page)).toBe("1");
    expect(await page.locator("select#site-filter").inputValue()).toBe(String(siteIds.north));
    await page.goBack();
    await page.waitForURL(`${hub.url}/pools`);
    await page.locator("section.card", { hasText: "south weekly" }).waitFor();
    expect(dialogs).toEqual([]);
    await page.context().close();
  }, 60_000);
});
