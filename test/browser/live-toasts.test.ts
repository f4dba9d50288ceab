import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateCatalog, type NodeCatalog, openCatalog } from "../../functions/db/client-node.ts";
import { jobRuns } from "../../functions/db/schema/index.ts";
import { closeRun } from "../../functions/services/runs/close-run.ts";
import { HUB_ADMIN_PASSWORD, type HubProcess, startHubProcess } from "../helpers/agent-process.ts";
import { launchChromium, signInThroughForm } from "../helpers/browser.ts";
import { insertJobRunning } from "../helpers/catalog-rows.ts";

/**
 * Chromium on a page of the real hub process: a run that fails (closed by the hub's own verb on
 * the same catalog file, as a second hub instance would) appears as a toast without a reload,
 * through the SSE stream and htmx's SSE extension, with the CSP of every page.
 */
describe("live toasts in Chromium", () => {
  let hub: HubProcess;
  let browser: Browser;
  let catalog: NodeCatalog;

  beforeAll(async () => {
    hub = await startHubProcess();
    const url = `file:${join(hub.dir, "tapebackarr.db")}`;
    catalog = openCatalog(url);
    await migrateCatalog(catalog, url);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    catalog?.client.close();
    await hub?.stop();
  });

  it("shows a toast when a run fails, escaped, without a reload", async () => {
    const page = await (await browser.newContext()).newPage();
    const scriptErrors: string[] = [];
    page.on("pageerror", (e) => scriptErrors.push(e.message));
    page.on("dialog", (d) => {
      scriptErrors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${hub.url}/login`);
    await page.fill("input[name=username]", "admin");
    await page.fill("input[name=password]", HUB_ADMIN_PASSWORD);
    // Waited for from before the sign-in: the dashboard may open its stream before waitForURL returns.
    const streamOpen = page.waitForResponse((r) => r.url().includes("/api/v1/events/stream"), {
      timeout: 30_000,
    });
    await page.click("button[type=submit]");
    await page.waitForURL(`${hub.url}/`);
    // The stream is open before the run fails: the toast can only come live.
    await streamOpen;
    // A reload or a new page replaces the document and loses this mark; a history entry htmx
    // pushes for the same document (its redirect after sign-in) does not.
    await page.evaluate(() => {
      (window as unknown as { tbSameDocument: boolean }).tbSameDocument = true;
    });

    const ctx = { db: catalog.db, now: () => new Date() };
    const { run } = await insertJobRunning(catalog.db, "Share <img src=x onerror=alert(1)>", new Date());
    await closeRun(ctx, run, {
      state: "failed",
      error: "medium error on TB0001L9",
      retryable: false,
      summary: {},
    } as never);

    const toast = page.locator("#toasts .toast.error");
    await toast.waitFor({ timeout: 20_000 });
    expect(await toast.textContent()).toContain(
      `Share <img src=x onerror=alert(1)> (run #${run.id}) failed: medium error on TB0001L9`,
    );
    expect(await page.locator("#toasts img").count()).toBe(0);
    expect(await toast.locator("a").getAttribute("href")).toBe(`/runs/${run.id}`);
    expect(
      await page.evaluate(() => (window as unknown as { tbSameDocument?: boolean }).tbSameDocument),
    ).toBe(true);
    expect(scriptErrors).toEqual([]);
  }, 90_000);

  it("moves a run page's progress over SSE, without polling or a reload, until the run ends", async () => {
    const page = await (await browser.newContext()).newPage();
    await signInThroughForm(page, hub.url, "admin", HUB_ADMIN_PASSWORD);
    const now = new Date();
    const { run } = await insertJobRunning(catalog.db, "Nightly", now, {
      bytesDone: 1000,
      bytesTotal: 10_000,
      progressSeq: 1,
      progressAt: now,
    });
    const polls: string[] = [];
    page.on("request", (r) => {
      if (/\/runs\/\d+\/live(\?|$)/.test(r.url())) polls.push(r.url());
    });
    const streaming = page.waitForResponse((r) => r.url().endsWith(`/runs/${run.id}/live/stream`), {
      timeout: 30_000,
    });
    await page.goto(`${hub.url}/runs/${run.id}`);
    await streaming;
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 7;
    });
    const pct = page.locator("#run-live .pct");
    expect(await pct.textContent()).toContain("10%");

    await catalog.db
      .update(jobRuns)
      .set({ bytesDone: 5000, progressSeq: 2, progressAt: new Date() })
      .where(eq(jobRuns.id, run.id));
    await page.waitForFunction(
      () => document.querySelector("#run-live .pct")?.textContent?.includes("50%"),
      null,
      {
        timeout: 20_000,
      },
    );
    const ctx = { db: catalog.db, now: () => new Date() };
    const [running] = await catalog.db.select().from(jobRuns).where(eq(jobRuns.id, run.id));
    if (!running) throw new Error("no run");
    await closeRun(ctx, running, { state: "completed", error: null, retryable: false, summary: {} } as never);
    await page.locator("#run-live .badge.state-completed").waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
    expect(polls).toEqual([]);
  }, 90_000);
});
