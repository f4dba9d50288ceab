import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { formatTime } from "../../views/format.ts";
import { HUB_ADMIN_PASSWORD, type HubProcess } from "../helpers/agent-process.ts";
import { launchChromium, signInThroughForm } from "../helpers/browser.ts";
import { startHubWithVtlAgent, tearDown } from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";
import { ROOT } from "../helpers/process.ts";

/** Screenshots for a person to look at after a run. */
const SCREENSHOTS = resolve(ROOT, "test-output/screenshots");
const XSS = "<img src=x onerror=alert(1)>.txt";
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** The browser's agent writes at this speed (a real drive's pace, scaled down): a run lasts seconds. */
const DRIVE_BYTES_PER_SEC = 3 << 20;
const PACED_AGENT = resolve(ROOT, "test/helpers/paced-drive-agent.ts");

describe("an operator in Chromium, against the Node hub and a vtl agent", () => {
  let root: string;
  let src: string;
  let hub: HubProcess;
  let agent: Spawned;
  let browser: Browser;
  let page: Page;
  let runUrl: string;
  const dialogs: string[] = [];
  /** Our own questions (hx-confirm), as the operator saw them; answered with `confirmAnswer`. */
  const confirms: string[] = [];
  let confirmAnswer = true;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-browser-"));
    src = join(root, "share");
    await mkdir(join(src, "docs"), { recursive: true });
    await writeFile(join(src, "docs", "report.txt"), "quarterly report\n".repeat(1000));
    await writeFile(join(src, "docs", XSS), "markup in a name\n");
    await writeFile(join(src, "big.bin"), Buffer.alloc(8 << 20, 7));
    // Incompressible, so it reaches the paced drive as it is: about 8 s of writing.
    await writeFile(join(src, "random.bin"), randomBytes(24 << 20));
    const lib = join(root, "vtl");
    await initLibrary({ dir: lib, drives: 1, slots: 4, cartridges: 2, capacityBytes: 256 << 20 });
    ({ hub, agent } = await startHubWithVtlAgent({
      name: "browser-host",
      stateDir: join(root, "agent"),
      lib,
      entry: PACED_AGENT,
      env: { TB_TEST_DRIVE_BYTES_PER_SEC: String(DRIVE_BYTES_PER_SEC) },
    }));
    await hub.api("POST", "/api/v1/pools", { name: "Weekly" });
    await hub.api("POST", "/api/v1/users", {
      username: "viewer",
      password: "viewer-password-1",
      role: "read-only",
    });
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
  }, 120_000);

  afterAll(() => tearDown(root, browser, agent, hub));

  /** A signed-in page; the browser's zone is UTC unless the test gives another (IANA name). */
  async function signIn(username: string, password: string, timezoneId = "UTC"): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId });
    const p = await context.newPage();
    // A confirm is our own question (eject, revoke): accepted. Any other dialog is a script that ran.
    p.on("dialog", (d) => {
      if (d.type() === "confirm") {
        confirms.push(d.message());
        return void (confirmAnswer ? d.accept() : d.dismiss());
      }
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signInThroughForm(p, hub.url, username, password);
    return p;
  }

  it("an empty hub's dashboard is a setup checklist, with the next step a link", async () => {
    page = await signIn("admin", HUB_ADMIN_PASSWORD);
    const checklist = page.locator("#setup-checklist");
    expect(await checklist.locator("li.done").allTextContents()).toEqual([
      expect.stringContaining("Enroll a drive-agent"),
    ]);
    expect(await checklist.locator("li.next a").textContent()).toBe("Label a tape into a pool");
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-setup.png"), fullPage: true });
  }, 60_000);

  it("labels a tape after a confirmation that names it", async () => {
    await page.goto(`${hub.url}/tapes`);
    const row = page.locator("tr", { hasText: "TB0001L9" });
    await row.locator("select[name=poolId]").selectOption({ label: "Weekly" });
    await row.getByRole("button", { name: "Label" }).click();
    await expect.poll(() => confirms.at(-1)).toMatch(/^Write a new label on TB0001L9\?/);
    await expect
      .poll(
        async () =>
          (await hub.api<{ items: { state: string }[] }>("GET", "/api/v1/tapes?barcode=TB0001L9")).body
            .items[0]?.state,
        { timeout: 60_000 },
      )
      .toBe("active");
  }, 90_000);

  it("the pools page lists each pool with its retention in words, capacity and tapes, and creates one", async () => {
    await page.goto(`${hub.url}/pools`);
    const weekly = page.locator("section.card", { has: page.locator("h2", { hasText: "Weekly" }) });
    expect(await weekly.textContent()).toContain("reusable 30 days after its last write");
    expect(await weekly.locator("a", { hasText: "TB0001L9" }).count()).toBe(1);
    // The agent reported the cartridge's size (256 MiB): bars of the pool and of its tape, no "unknown".
    expect(await weekly.locator("meter[aria-label='Pool Weekly: 0% used']").count()).toBe(1);
    expect(await weekly.locator("meter[aria-label='Tape TB0001L9: 0% used']").count()).toBe(1);
    expect(await weekly.textContent()).toContain("0 B of 268 MB (0%)");
    expect(await weekly.textContent()).not.toContain("capacity unknown");
    const form = page.locator("form", { has: page.locator("#new-pool-result") });
    await form.locator("input[name=name]").fill("Archive");
    await form.locator("input[name=retention][value=keep]").check();
    await form.getByRole("button", { name: "Create pool" }).click();
    const archive = page.locator("section.card", { has: page.locator("h2", { hasText: "Archive" }) });
    await archive.waitFor();
    expect(await archive.textContent()).toContain("keep forever");
    await page.screenshot({ path: join(SCREENSHOTS, "pools.png"), fullPage: true });
  }, 60_000);

  it("creates a source on Sources, and on Jobs → New job a job whose schedule is previewed in words; a bad schedule is answered in words", async () => {
    await page.goto(`${hub.url}/sources`);
    const source = page.locator("form", { has: page.locator("#new-source-result") });
    await source.locator("input[name=name]").fill("Share");
    await source.locator("input[name=paths]").fill(src);
    await source.getByRole("button", { name: "Create source" }).click();
    // The page reloads itself (HX-Refresh) once the source exists, and lists it.
    await page.locator("main tbody tr", { hasText: "Share" }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "sources.png"), fullPage: true });
    await page.goto(`${hub.url}/jobs`);
    await page.getByRole("link", { name: "New job" }).click();
    await page.waitForURL(`${hub.url}/jobs/new`);
    await page.waitForSelector('select[name=sourceId] option:has-text("Share")', { state: "attached" });
    const job = page.locator("form", { has: page.locator("#new-job-result") });
    await job.locator("input[name=name]").fill("Share weekly");
    await job.locator("select[name=poolId]").selectOption({ label: "Weekly" });
    const schedule = job.locator("input[name=schedule]");
    const preview = job.locator("#schedule-preview-new");
    await schedule.fill("0 22 * * *");
    await expect
      .poll(() => preview.textContent())
      .toMatch(/^every day at 22:00, next: \w{3} \d+ \w{3} 22:00 UTC/);
    await page.screenshot({ path: join(SCREENSHOTS, "job-schedule-preview.png"), fullPage: true });
    await schedule.fill("every night");
    await expect.poll(() => preview.textContent()).toMatch(/^"every night" is not a schedule/);
    await job.getByRole("button", { name: "Create job" }).click();
    const answer = job.locator("#new-job-result");
    await expect
      .poll(() => answer.textContent())
      .toMatch(/^Schedule is not a schedule with a future run: write five fields/);
    expect(await answer.textContent()).not.toContain("body.");
    await page.screenshot({ path: join(SCREENSHOTS, "job-bad-schedule.png"), fullPage: true });
    await schedule.fill("");
    await expect.poll(() => preview.textContent()).toMatch(/^manual/);
    await job.getByRole("button", { name: "Create job" }).click();
    // Created: the job's own page, with its "Run now".
    await page.waitForURL(/\/jobs\/\d+$/);
    expect(await page.locator("h1").textContent()).toBe("Share weekly");
    await page.goto(`${hub.url}/jobs`);
    await page.locator('table a:has-text("Share weekly")').click();
    await page.waitForURL(/\/jobs\/\d+$/);
  }, 60_000);

  it("runs the job and watches it live: a percent below 100 and an ETA, paused shows paused, then the summary, without a reload", async () => {
    await page.getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    runUrl = page.url();
    // htmx swaps the live section every 2 s; the page itself is never reloaded.
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    const live = page.locator("#run-live");
    const pct = async () => Number((await live.locator(".pct").textContent())?.match(/(\d+)%/)?.[1] ?? NaN);
    await expect.poll(pct, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(await pct()).toBeLessThan(100);
    await expect.poll(() => live.locator(".run-figures").textContent()).toMatch(/ETA ≈?\d+ (s|min)/);
    expect(await live.locator(".run-figures").textContent()).toMatch(/\/s · ETA/);
    expect(await live.locator(".run-head").textContent()).toContain("in Virtual drive 0");
    await page.screenshot({ path: join(SCREENSHOTS, "running-job.png"), fullPage: true });
    // Meanwhile the dashboard shows the run with its kind and percent, and the drive writing.
    const board = await page.context().newPage();
    await board.goto(`${hub.url}/`);
    const running = board.locator("#active-runs .run", { hasText: "Share weekly" });
    expect(await running.locator(".badge.kind").textContent()).toBe("backup");
    expect(await running.locator(".pct").textContent()).toMatch(/\d+%$/);
    expect(
      await board.locator("tr", { hasText: "Virtual drive 0" }).locator("td").nth(1).textContent(),
    ).toMatch(/^writing run \d+$/);
    await board.screenshot({ path: join(SCREENSHOTS, "dashboard-running.png"), fullPage: true });
    await board.close();

    await live.getByRole("button", { name: "Pause" }).click();
    await live.locator(".badge.state-paused").waitFor({ timeout: 30_000 });
    const figures = await live.locator(".run-figures").textContent();
    expect(figures).toContain("paused: no data moves until resumed");
    expect(figures).not.toContain("ETA");
    expect(await live.getByRole("button", { name: "Pause" }).count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, "run-paused.png"), fullPage: true });
    await live.getByRole("button", { name: "Resume" }).click();

    await page.waitForSelector(
      "#run-live .badge.state-completed, #run-live .badge.state-completed-with-warnings",
      { timeout: 120_000 },
    );
    expect(page.url()).toBe(runUrl);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.locator("#run-live progress").getAttribute("value")).toBe("100");
    const summary = page.locator("#run-live .outcome");
    const text = await summary.textContent();
    expect(text).toMatch(/Duration\d+ s|Duration\d+ min/);
    expect(text).toMatch(/Written[\d,]+ files, [\d.]+ MB/);
    expect(text).toMatch(/ratio \d+\.\d\d : 1/);
    expect(text).toContain("TB0001L9");
    expect(await summary.locator("a", { hasText: /^Browse set #\d+$/ }).count()).toBe(1);
    expect(await summary.getByRole("button", { name: /^Verify set #\d+$/ }).count()).toBe(1);
    expect(await summary.locator(".summary-line").textContent()).toMatch(/^backed up [\d,]+ files/);
    expect(await page.locator("main").textContent()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // The throughput over the run's time, from the samples the page carried from poll to poll.
    const rateChart = page.locator("#run-live svg.rate-chart");
    expect(await rateChart.getAttribute("aria-label")).toMatch(
      /bytes per second over the time since it started/,
    );
    const labels = await rateChart.locator("text").allTextContents();
    expect(labels).toContain("rate");
    expect(labels.some((t) => /MB\/s$/.test(t))).toBe(true);
    expect(labels.some((t) => /after start$/.test(t))).toBe(true);
    expect(await rateChart.locator("circle title").first().textContent()).toMatch(/after start: .+\/s$/);
    // The log ends with the run's summary line, without a reload.
    const log = page.locator("section.card", { has: page.locator("h2", { hasText: /^Log$/ }) });
    await expect
      .poll(() => log.locator("tbody").textContent(), { timeout: 10_000 })
      .toMatch(/backed up [\d,]+ files/);
    expect(await log.locator(".log-empty").isVisible()).toBe(false);
    await page.screenshot({ path: join(SCREENSHOTS, "run-finished.png"), fullPage: true });
  }, 240_000);

  it("a run page opened after the run finished still charts its throughput from its start", async () => {
    const late = await page.context().newPage();
    await late.goto(runUrl);
    const chart = late.locator("#run-live svg.rate-chart");
    await chart.waitFor();
    const labels = await chart.locator("text").allTextContents();
    expect(labels).toContain("0 s after start");
    const points = await chart.locator("circle title").allTextContents();
    // The paced drive wrote for several seconds, reported every 2 s: the hub kept those reports.
    expect(points.length).toBeGreaterThanOrEqual(3);
    expect(points.some((t) => /after start: [\d.]+ [KM]B\/s$/.test(t))).toBe(true);
    await late.screenshot({ path: join(SCREENSHOTS, "run-opened-late.png"), fullPage: true });
    await late.close();
  }, 60_000);

  it("the dashboard after the first run: no checklist, drives by what they do, labelled charts and capacity bars, runs with their kind", async () => {
    await page.goto(`${hub.url}/`);
    expect(await page.locator("#setup-checklist").count()).toBe(0);
    const chart = page.locator("svg.chart");
    expect(await chart.getAttribute("aria-label")).toMatch(/bytes per second over time \(UTC\)/);
    const ticks = await chart.locator("text").allTextContents();
    expect(ticks).toContain("rate");
    expect(ticks.some((t) => /\/s$/.test(t))).toBe(true);
    expect(ticks.some((t) => /^\d\d:\d\d UTC$/.test(t))).toBe(true);
    expect(await chart.locator("rect title").first().textContent()).toMatch(
      /^Share weekly \(backup, run \d+\): .+\/s/,
    );
    expect(await page.locator("meter[aria-label^='Pool Weekly']").count()).toBe(1);
    expect(await page.locator("meter[aria-label^='Tape TB0001L9']").count()).toBe(1);
    expect(
      await page.locator("tr", { hasText: "Share weekly" }).locator(".badge.kind").first().textContent(),
    ).toBe("backup");
    expect(
      await page.locator("tr", { hasText: "Virtual drive 0" }).locator("td").nth(1).textContent(),
    ).toMatch(/^idle/);
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard.png"), fullPage: true });
  }, 60_000);

  it("asks before relabelling a tape with backups, naming what is lost; dismissed, nothing happens", async () => {
    const tapes = await hub.api<{ items: { id: number }[] }>("GET", "/api/v1/tapes?barcode=TB0001L9");
    await page.goto(`${hub.url}/tapes`);
    expect(
      await page.locator("tr", { hasText: "TB0001L9" }).getByRole("button", { name: "Label" }).count(),
    ).toBe(0);
    await page.goto(`${hub.url}/tapes/${tapes.body.items[0]?.id}`);
    confirmAnswer = false;
    try {
      await page.locator("#relabel input[name=force]").check();
      await page.getByRole("button", { name: "Relabel TB0001L9" }).click();
      await expect
        .poll(() => confirms.at(-1))
        .toMatch(
          /^Relabel TB0001L9\? Its 1 backup set \([\d.]+ MB\) can no longer be restored from it\. This cannot be undone\.$/,
        );
      // Retiring asks too, saying what it means; dismissed, the tape stays active.
      await page.getByRole("button", { name: "Retire TB0001L9" }).click();
      await expect
        .poll(() => confirms.at(-1))
        .toBe(
          'Retire TB0001L9? No backup is written to it again. Its 1 backup set stays restorable from it. "Returned" on this page brings it back.',
        );
      // The Change form offers no unasked way to retire it.
      expect(await page.locator("select[name=state] option[value=retired]").count()).toBe(0);
    } finally {
      confirmAnswer = true;
    }
    expect(await page.locator("#tape-retire-result").textContent()).toBe("");
    expect(
      (await hub.api<{ state: string }>("GET", `/api/v1/tapes/${tapes.body.items[0]?.id}`)).body.state,
    ).toBe("active");
    expect(await page.locator("#tape-label-result").textContent()).toBe("");
    await page.screenshot({ path: join(SCREENSHOTS, "tape-relabel.png"), fullPage: true });
  }, 60_000);

  it("shows a markup file name as text in the catalog browser, and no dialog fires", async () => {
    await page.goto(`${hub.url}/restore`);
    await page
      .locator("a", { hasText: /^#\d+$/ })
      .first()
      .click();
    const docs = join(src, "docs").slice(1);
    await page.goto(`${page.url()}?dir=${encodeURIComponent(docs)}`);
    await expect.poll(() => page.locator(".file-name", { hasText: XSS }).count()).toBe(1);
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, 60_000);

  it("restores one file through the wizard, byte-identical", async () => {
    const target = join(root, "restored");
    const docs = join(src, "docs").slice(1);
    await page.locator(`input[name=paths][value="${docs}/report.txt"]`).check();
    await page.getByRole("button", { name: "Plan the restore" }).click();
    await page.waitForSelector("#plan >> text=Start restore");
    await page.fill("#plan input[name=destination]", target);
    await page.screenshot({ path: join(SCREENSHOTS, "restore-wizard.png"), fullPage: true });
    await page.getByRole("button", { name: "Start restore" }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    await page.waitForSelector("#run-live .badge.state-completed", { timeout: 120_000 });
    // What it restored (one file of 17 KB), not the size of the set it read from (33.6 MB).
    const restoredRow = page.locator("#run-live .outcome tr", { hasText: "Restored" });
    expect(await restoredRow.locator("td").textContent()).toBe("1 file, 17.0 KB");
    expect(await page.locator("#run-live .run-head").textContent()).toContain("restore");
    await page.screenshot({ path: join(SCREENSHOTS, "restore-finished.png"), fullPage: true });
    const restored = await readFile(join(target, docs, "report.txt"));
    expect(sha(restored)).toBe(sha(await readFile(join(src, "docs", "report.txt"))));
    expect(dialogs).toEqual([]);
  }, 180_000);

  it("saves the Telegram settings; the bot token is not echoed back in the page HTML", async () => {
    const token = "123456789:AAH-browser-token-never-echoed_0123456789";
    await page.goto(`${hub.url}/settings`);
    const form = page.locator("form[hx-post='/settings/notifications/telegram']");
    await form.locator("input[name=enabled]").check();
    await form.locator("input[name=chatId]").fill("-1001234567890");
    await form.locator("input[name=botToken]").fill(token);
    await form.getByRole("button", { name: "Save Telegram" }).click();
    await page.waitForSelector("#telegram-result >> text=bot token set");
    expect(await page.locator("#telegram-secret-state").textContent()).toBe("set");
    expect(await page.locator("#telegram-secret").inputValue()).toBe("");
    expect(await page.content()).not.toContain(token);
    await page.reload();
    expect(await page.content()).not.toContain(token);
    expect(await page.locator("#telegram-secret-state").textContent()).toBe("set");
    expect(await page.locator("input[name=chatId]").inputValue()).toBe("-1001234567890");
    await page.screenshot({ path: join(SCREENSHOTS, "settings.png"), fullPage: true });
  }, 60_000);

  it("shows times in the browser's zone, named; once an admin sets the hub's zone, in that one, and schedules preview in it", async () => {
    const tokyo = await signIn("admin", HUB_ADMIN_PASSWORD, "Asia/Tokyo");
    const shown = async () => {
      await tokyo.goto(runUrl);
      const first = tokyo.locator("#run-live time[datetime]").first();
      await expect.poll(() => first.getAttribute("data-zone")).not.toBeNull();
      return { datetime: (await first.getAttribute("datetime")) as string, text: await first.textContent() };
    };
    const inTokyo = await shown();
    expect(inTokyo.text).toBe(formatTime(inTokyo.datetime, "Asia/Tokyo"));
    expect(inTokyo.text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d Asia\/Tokyo$/);
    await tokyo.screenshot({ path: join(SCREENSHOTS, "run-in-browser-zone.png"), fullPage: true });
    await tokyo.goto(`${hub.url}/`);
    const chart = tokyo.locator("svg.chart").first();
    await expect.poll(() => chart.getAttribute("aria-label")).toMatch(/over time \(Asia\/Tokyo\)$/);
    const ticks = (await chart.locator("text[data-at]").allTextContents()).filter(Boolean);
    expect(ticks.length).toBeGreaterThan(0);
    for (const t of ticks) expect(t).toMatch(/^\d\d:\d\d GMT\+9$/);

    await page.goto(`${hub.url}/settings`);
    const zone = page.locator("form[hx-post='/settings/time-zone']");
    await zone.locator("input[name=timeZone]").fill("Mars/Olympus_Mons");
    await zone.getByRole("button", { name: "Save time zone" }).click();
    await expect
      .poll(() => page.locator("#time-zone-result").textContent())
      .toBe(
        'Time zone is not a time zone this hub knows ("Mars/Olympus_Mons"): give an IANA name such as Europe/Berlin, America/New_York or UTC',
      );
    await page.screenshot({ path: join(SCREENSHOTS, "settings-bad-time-zone.png"), fullPage: true });
    await zone.locator("input[name=timeZone]").fill("America/New_York");
    await zone.getByRole("button", { name: "Save time zone" }).click();
    // The page reloads itself and says the zone it now runs in.
    await expect
      .poll(() => page.locator("main").textContent())
      .toContain("Schedules run in America/New_York and every page shows times in it.");
    try {
      const inHubZone = await shown();
      expect(inHubZone.text).toBe(formatTime(inHubZone.datetime, "America/New_York"));
      await tokyo.goto(`${hub.url}/jobs/new`);
      await tokyo.locator("input[name=schedule]").fill("0 22 * * *");
      await expect
        .poll(() => tokyo.locator("#schedule-preview-new").textContent())
        .toMatch(/^every day at 22:00, next: \w{3} \d+ \w{3} 22:00 America\/New_York/);
    } finally {
      await page.goto(`${hub.url}/settings`);
      await zone.locator("input[name=timeZone]").fill("");
      await zone.getByRole("button", { name: "Save time zone" }).click();
      await expect.poll(() => page.locator("main").textContent()).toContain("Not set: schedules run in UTC");
      await tokyo.context().close();
    }
  }, 90_000);

  it("an unknown address is a 404 inside the layout, with the menu and a way back", async () => {
    const response = await page.goto(`${hub.url}/no-such-page`);
    expect(response?.status()).toBe(404);
    expect(await page.locator("h1").textContent()).toBe("Not found");
    expect(await page.locator("[role=alert]").textContent()).toContain("Nothing at GET /no-such-page");
    expect(await page.locator("header nav a").count()).toBeGreaterThan(5);
    await page.screenshot({ path: join(SCREENSHOTS, "not-found.png"), fullPage: true });
    await page.getByRole("link", { name: "Back to the dashboard" }).click();
    await page.waitForURL(`${hub.url}/`);
    const badId = await page.goto(`${hub.url}/jobs/not-a-number`);
    expect(badId?.status()).toBe(400);
    expect(await page.locator("h1").textContent()).toBe("Bad request");
    expect(await page.getByRole("link", { name: "Back to the dashboard" }).count()).toBe(1);
  }, 60_000);

  it("filters the job logs by job and shows the failed run's line naming a missing markup path as text, without a dialog", async () => {
    const missing = join(src, "gone <img src=x onerror=alert(3)>");
    const source = await hub.api<{ id: number }>("POST", "/api/v1/sources", {
      name: "Half there",
      kind: "local",
      paths: [join(src, "docs"), missing],
    });
    const pools = await hub.api<{ items: { id: number; name: string }[] }>("GET", "/api/v1/pools");
    const job = await hub.api<{ id: number }>("POST", "/api/v1/jobs", {
      name: "Half there",
      sourceId: source.body.id,
      poolId: pools.body.items.find((p) => p.name === "Weekly")?.id,
    });
    const run = await hub.api<{ id: number }>("POST", `/api/v1/jobs/${job.body.id}/run`);
    await expect
      .poll(async () => (await hub.api<{ state: string }>("GET", `/api/v1/runs/${run.body.id}`)).body.state, {
        timeout: 120_000,
      })
      // A source path that does not exist fails the run (it used to complete with a warning).
      .toBe("failed");

    await page.goto(`${hub.url}/logs`);
    await page.locator("select[name=jobId]").selectOption({ label: "Half there" });
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(new RegExp(`/logs\\?jobId=${job.body.id}`));
    const line = page.locator("tr", { hasText: "source path does not exist" });
    await expect.poll(() => line.count()).toBe(1);
    expect(await line.locator(".run-path").textContent()).toBe(missing);
    const jobsShown = await page.locator("main tbody tr td:nth-child(3)").allTextContents();
    expect(new Set(jobsShown)).toEqual(new Set(["Half there"]));
    expect(await page.locator("main img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, "logs.png"), fullPage: true });
  }, 180_000);

  it("ejects the tape from its page: the drive is empty afterwards and the tape back in a slot", async () => {
    const tapes = await hub.api<{ items: { id: number }[] }>("GET", "/api/v1/tapes?barcode=TB0001L9");
    const tapeUrl = `${hub.url}/tapes/${tapes.body.items[0]?.id}`;
    await page.goto(tapeUrl);
    expect(await page.locator("main").textContent()).toContain("In Virtual drive 0");
    await page.getByRole("button", { name: "Eject" }).click();
    await page.waitForSelector("#tape-eject-result >> text=Ejecting TB0001L9");
    const drives = async () =>
      (await hub.api<{ items: { loadedTapeId: number | null }[] }>("GET", "/api/v1/drives")).body.items;
    await expect
      .poll(async () => (await drives()).map((d) => d.loadedTapeId), { timeout: 60_000 })
      .toEqual([null]);
    await expect
      .poll(
        async () => {
          await page.goto(tapeUrl);
          return page.locator("tr", { hasText: "Where" }).locator("td").textContent();
        },
        { timeout: 60_000 },
      )
      .toMatch(/^in changer slot \d+$/);
    expect(await page.getByRole("button", { name: "Eject" }).count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, 120_000);

  it("every other page renders at 1280 and 390 px: in the layout (or the print sheet), no console error or CSP violation, no sideways scroll", async () => {
    const [drives, pools, jobs] = await Promise.all(
      ["drives", "pools", "jobs"].map(
        async (r) =>
          (await hub.api<{ items: { id: number; name: string }[] }>("GET", `/api/v1/${r}`)).body.items,
      ),
    );
    const weekly = pools?.find((p) => p.name === "Weekly")?.id;
    const job = jobs?.find((j) => j.name === "Share weekly")?.id;
    const tapes = await hub.api<{ items: { id: number }[] }>("GET", "/api/v1/tapes?barcode=TB0001L9");
    // The pages no other Chromium test opens (and the two most crowded, again at phone width).
    const walk: [name: string, path: string, h1: RegExp, layout: "app" | "print"][] = [
      ["agents", "/agents", /^Agents/, "app"],
      ["drive", `/drives/${drives?.[0]?.id}`, /^Virtual drive 0$/, "app"],
      ["library", "/library", /^Library/, "app"],
      ["retention", "/retention", /^Retention/, "app"],
      ["keys", "/keys", /keys/i, "app"],
      ["sites", "/sites", /^Sites/, "app"],
      ["users", "/users", /^Users/, "app"],
      ["api-keys", "/api-keys", /^API keys/, "app"],
      ["audit-log", "/logs/audit", /^Logs$/, "app"],
      ["docs", "/docs", /^Help$/, "app"],
      ["docs-operator-guide", "/docs/operator-guide", /^Operator guide/, "app"],
      ["guests", "/guests", /^Proxmox guests$/, "app"],
      ["job", `/jobs/${job}`, /^Share weekly$/, "app"],
      ["tape", `/tapes/${tapes.body.items[0]?.id}`, /^Tape TB0001L9$/, "app"],
      [
        "restore-as-of",
        `/restore/as-of?jobId=${job}&at=${encodeURIComponent(new Date().toISOString())}`,
        /^Restore the tree as of set \d+$/,
        "app",
      ],
      ["pool-passports", `/pools/${weekly}/passports`, /^Tape passport: TB0001L9$/, "print"],
    ];
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      // Not the hub's zone (UTC): every time on an app page must be shown in the browser's.
      const context = await browser.newContext({
        viewport,
        isMobile: viewport.width < 500,
        timezoneId: "Asia/Tokyo",
      });
      // A CSP refusal is an event of the document; said on the console, it is caught with the rest.
      await context.addInitScript(() =>
        document.addEventListener("securitypolicyviolation", (e) =>
          console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
        ),
      );
      const p = await context.newPage();
      const problems: string[] = [];
      p.on("console", (m) => {
        if (m.type() === "error") problems.push(`${p.url()}: ${m.text()}`);
      });
      p.on("pageerror", (e) => problems.push(`${p.url()}: ${e.message}`));
      await signInThroughForm(p, hub.url, "admin", HUB_ADMIN_PASSWORD);
      for (const [name, path, h1, layout] of walk) {
        const response = await p.goto(`${hub.url}${path}`);
        expect(response?.status(), path).toBe(200);
        expect(await p.locator("h1").first().textContent(), path).toMatch(h1);
        if (layout === "app") {
          expect(await p.locator("header nav a").count(), path).toBeGreaterThan(5);
          expect(await p.locator("main h1").count(), path).toBe(1);
          if (!path.startsWith("/docs"))
            expect(await p.locator("main").textContent(), path).not.toMatch(/\d\d:\d\d UTC/);
        }
        const widths = await p.evaluate(() => ({
          scroll: document.scrollingElement?.scrollWidth ?? 0,
          inner: window.innerWidth,
        }));
        expect(widths.scroll, `${path} is ${widths.scroll}px wide on ${widths.inner}px`).toBeLessThanOrEqual(
          widths.inner,
        );
        // A help document is pages long: its first screen is what a person checks.
        await p.screenshot({
          path: join(SCREENSHOTS, `walk-${viewport.width}-${name}.png`),
          fullPage: !path.startsWith("/docs/"),
        });
      }
      expect(problems).toEqual([]);
      await context.close();
    }
    // The drive's page says what it does now, as the dashboard does (the tape was ejected: idle).
    await page.goto(`${hub.url}/drives/${drives?.[0]?.id}`);
    expect(await page.locator("#drive-doing").textContent()).toBe("Doing: idle");
    expect(await page.locator("#drive-streaming tbody tr").first().textContent()).toMatch(/^backup #\d+/);
    expect(dialogs).toEqual([]);
  }, 120_000);

  it("fits a phone (390×844): no sideways scroll of the page, the whole nav reachable", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phone = await context.newPage();
    await phone.goto(`${hub.url}/login`);
    await phone.fill("input[name=username]", "admin");
    await phone.fill("input[name=password]", HUB_ADMIN_PASSWORD);
    await phone.click("button[type=submit]");
    await phone.waitForURL(`${hub.url}/`);
    const sets = await hub.api<{ items: { id: number }[] }>("GET", "/api/v1/sets");
    const pages: [string, string][] = [
      ["dashboard", "/"],
      ["tapes", "/tapes"],
      ["run", new URL(runUrl).pathname],
      ["restore", "/restore"],
      ["restore-set", `/restore/sets/${sets.body.items[0]?.id}`],
      ["jobs", "/jobs"],
      ["new-job", "/jobs/new"],
      ["sources", "/sources"],
      ["pools", "/pools"],
      ["not-found", "/no-such-page"],
      ["logs", "/logs"],
      ["settings", "/settings"],
    ];
    for (const [name, path] of pages) {
      await phone.goto(`${hub.url}${path}`);
      const widths = await phone.evaluate(() => ({
        scroll: document.scrollingElement?.scrollWidth ?? 0,
        inner: window.innerWidth,
      }));
      expect(
        widths.scroll,
        `${path} is ${widths.scroll}px wide on a ${widths.inner}px screen`,
      ).toBeLessThanOrEqual(widths.inner);
      const links = await phone.locator("header nav a").evaluateAll((as) =>
        as.map((a) => {
          const box = a.getBoundingClientRect();
          return { text: a.textContent, left: box.left, right: box.right, height: box.height };
        }),
      );
      for (const link of links) {
        expect(link.left, `${path}: ${link.text}`).toBeGreaterThanOrEqual(0);
        expect(link.right, `${path}: ${link.text}`).toBeLessThanOrEqual(widths.inner);
        expect(link.height, `${path}: ${link.text}`).toBeGreaterThan(0);
      }
      await phone.screenshot({ path: join(SCREENSHOTS, `phone-${name}.png`), fullPage: true });
    }
    await phone.locator("header nav a", { hasText: "Tapes" }).click();
    await phone.waitForURL(`${hub.url}/tapes`);
    await context.close();
  }, 120_000);

  it("a read-only user sees no mutating control, and a post anyway is refused", async () => {
    const viewer = await signIn("viewer", "viewer-password-1");
    for (const path of ["/", "/tapes", "/pools", "/jobs", "/sources", "/restore", new URL(runUrl).pathname]) {
      await viewer.goto(`${hub.url}${path}`);
      expect(await viewer.locator("form[hx-post]:not([hx-post='/logout'])").count(), path).toBe(0);
    }
    const status = await viewer.evaluate(async () => {
      const csrf = JSON.parse(document.body.getAttribute("hx-headers:inherited") ?? "{}")["X-CSRF-Token"];
      const res = await fetch("/jobs/1/run", {
        method: "POST",
        headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
      });
      return res.status;
    });
    expect(status).toBe(403);
    await viewer.context().close();
  }, 60_000);
});
