import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import jsQR from "jsqr";
import type { Browser, Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentedBlocks } from "../../contracts/doc-blocks.ts";
import { unwrapWithPassphrase } from "../../contracts/key-export.ts";
import { nodeScrypt } from "../../contracts/scrypt-node.ts";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { HUB_ADMIN_PASSWORD, type HubProcess, startHubProcess } from "../helpers/agent-process.ts";
import { launchChromium, signInThroughForm } from "../helpers/browser.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";
import { ROOT } from "../helpers/process.ts";

const SCREENSHOTS = resolve(ROOT, "test-output/screenshots");
const PASSPHRASE = "fire safe passphrase, twelve+";

/**
 * The papers for the fire safe, printed by Chromium from the real hub: a key sheet whose QR code
 * decodes to the wrapped key, and a tape passport whose commands are docs/tape-format.md's tested ones.
 */
describe("key sheet and tape passport, printed in Chromium", () => {
  let root: string;
  let hub: HubProcess;
  let agent: Spawned;
  let browser: Browser;
  let page: Page;
  let key: { id: number; fingerprint: string };
  let tapeId: number;
  let setUuid: string;
  let sheetLine: string;
  let fresh: HubProcess | undefined;
  let stateDir: string;
  let lib: string;
  let src: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-papers-"));
    src = join(root, "share");
    await mkdir(src, { recursive: true });
    await writeFile(join(src, "report <b>.txt"), "quarterly report\n");
    lib = join(root, "vtl");
    stateDir = join(root, "agent");
    await initLibrary({ dir: lib, drives: 1, slots: 2, cartridges: 1, capacityBytes: 64 << 20 });
    ({ hub, agent } = await e2e.startHubWithVtlAgent({
      name: "papers-host",
      stateDir,
      lib,
    }));
    const { poolId, tapes } = await e2e.labelEveryTape(hub, "Offsite");
    tapeId = tapes[0]?.id as number;
    key = (
      await hub.api<{ key: { id: number; fingerprint: string } }>(
        "POST",
        `/api/v1/pools/${poolId}/rotate-key`,
        {},
      )
    ).body.key;
    const agents = (await hub.api<{ items: { id: string }[] }>("GET", "/api/v1/agents")).body.items;
    const sourceId = await e2e.createLocalSource(hub, "Share", src, agents[0]?.id);
    const run = await e2e.runJobToEnd(hub, await e2e.createJob(hub, { name: "Share", sourceId, poolId }));
    expect(run.state, run.error ?? "").toBe("completed");
    setUuid = (await hub.api<{ uuid: string }>("GET", `/api/v1/sets/${run.setId}`)).body.uuid;
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await signInThroughForm(page, hub.url, "admin", HUB_ADMIN_PASSWORD);
  }, 300_000);

  afterAll(() => e2e.tearDown(root, browser, agent, hub, fresh));

  it("prints a key sheet whose QR code decodes to the wrapped key, which the passphrase unwraps", async () => {
    await page.goto(`${hub.url}/keys`);
    expect(await page.locator("table").textContent()).toContain(key.fingerprint);
    const form = page.locator(`form[hx-post="/keys/${key.id}/sheet"]`);
    await form.locator("input[name=passphrase]").fill(PASSPHRASE);
    await form.locator("input[name=hint]").fill("the one on the <safe> door");
    await form.getByRole("button", { name: "Make the key sheet" }).click();
    const wrappedEl = page.locator("#key-sheet #wrapped");
    await wrappedEl.waitFor({ timeout: 60_000 });
    const wrapped = ((await wrappedEl.textContent()) ?? "").trim();
    expect(wrapped).toMatch(new RegExp(`^tbkey1\\.${key.fingerprint}\\.scrypt-17-8-1\\.`));
    expect(await page.locator("#key-sheet #hint").textContent()).toBe("the one on the <safe> door");
    expect(await page.locator("#key-sheet").textContent()).not.toContain(PASSPHRASE);

    const png = PNG.sync.read(await page.locator("#key-sheet #qr svg").screenshot());
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe(wrapped);
    sheetLine = decoded?.data ?? "";
    const unwrapped = await unwrapWithPassphrase({
      text: decoded?.data ?? "",
      passphrase: PASSPHRASE,
      scrypt: nodeScrypt,
    });
    expect(unwrapped.fingerprint).toBe(key.fingerprint);

    expect(await printButtonPrints(page, "Print this key sheet")).toBe(true);

    // On paper only the sheet: no navigation, no forms.
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("header.top").isVisible()).toBe(false);
    expect(await page.locator(`form[hx-post="/keys/${key.id}/sheet"]`).isVisible()).toBe(false);
    expect(await wrappedEl.isVisible()).toBe(true);
    const pdf = await page.pdf({ path: join(SCREENSHOTS, "key-sheet.pdf"), format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await page.screenshot({ path: join(SCREENSHOTS, "key-sheet-print.png"), fullPage: true });
    await page.emulateMedia({ media: "screen" });
  }, 120_000);

  it("prints a tape passport with the set, its key fingerprint and the commands the tape-format doc test runs", async () => {
    await page.goto(`${hub.url}/tapes/${tapeId}`);
    await page.getByRole("link", { name: "Print this tape's passport" }).click();
    await page.waitForURL(`${hub.url}/tapes/${tapeId}/passport`);
    const passport = page.locator("section.passport");
    expect(await passport.locator("h1").textContent()).toBe("Tape passport: TB0001L9");
    // Label, barcode, pool and media set, as the issue lists them.
    const tape = (await hub.api<{ mediaSetId: number | null }>("GET", `/api/v1/tapes/${tapeId}`)).body;
    expect(tape.mediaSetId).not.toBeNull();
    const facts = (await passport.locator("table").first().textContent()) ?? "";
    expect(facts).toContain("PoolOffsite");
    expect(facts).toContain(`Media set#${tape.mediaSetId}BarcodeTB0001L9`);
    const setRow = passport.locator("tbody tr", { hasText: "Share" });
    expect(await setRow.textContent()).toContain(key.fingerprint);
    expect(await setRow.textContent()).toContain("data 1, TOC 2");
    expect(await setRow.textContent()).toContain(`set ${setUuid}`);

    const doc = await readFile(resolve(ROOT, "docs/tape-format.md"), "utf8");
    const commands = await passport.locator("pre.command").allTextContents();
    // The first set on the tape is files 1 and 2, as in the doc's tested blocks: the same text.
    expect(commands).toEqual([
      documentedBlocks(doc, "copy").get("tape"),
      documentedBlocks(doc).get("label"),
      documentedBlocks(doc).get("toc"),
      documentedBlocks(doc, "test-stream").get("decrypt"),
    ]);

    // Its stylesheet and print button are files the CSP allows (inline ones it refused).
    expect(
      await passport
        .locator("table")
        .first()
        .evaluate((t) => getComputedStyle(t).borderCollapse),
    ).toBe("collapse");
    expect(await printButtonPrints(page, "Print")).toBe(true);

    const pdf = await page.pdf({ path: join(SCREENSHOTS, "tape-passport.pdf"), format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await page.screenshot({ path: join(SCREENSHOTS, "tape-passport.png"), fullPage: true });
  }, 60_000);

  it("a fresh hub with other secrets imports the QR code's wrapped key with the passphrase and restores the encrypted set", async () => {
    await agent.stop();
    fresh = await startHubProcess();
    ({ agent } = await e2e.enrollRealAgent(fresh, { name: "papers-host-2", stateDir, lib, force: true }));
    const driveId = await e2e.firstDriveOnceReported(fresh, 1);
    const wrong = await fresh.api<{ error: { message: string } }>("POST", "/api/v1/encryption-keys/import", {
      name: "from the safe",
      wrapped: sheetLine,
      passphrase: "guessed wrong",
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain(`wrong passphrase for key ${key.fingerprint}`);
    const imported = await fresh.api<{ fingerprint: string }>("POST", "/api/v1/encryption-keys/import", {
      name: "from the safe",
      wrapped: sheetLine,
      passphrase: PASSPHRASE,
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body.fingerprint).toBe(key.fingerprint);
    await e2e.scanTape(fresh, driveId, "TB0001L9");
    const sets = (await fresh.api<{ items: { id: number; uuid: string }[] }>("GET", "/api/v1/sets")).body
      .items;
    const set = sets.find((s) => s.uuid === setUuid);
    expect(set).toBeDefined();
    const path = join(src, "report <b>.txt").slice(1);
    const destination = join(root, "restored");
    const started = await fresh.api<{ run: e2e.E2eRun }>("POST", "/api/v1/restores", {
      setId: set?.id,
      paths: [path],
      destination,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await e2e.runFinished(fresh, started.body.run.id);
    expect(run.state, run.error ?? "").toBe("completed");
    expect(await readFile(join(destination, path), "utf8")).toBe("quarterly report\n");
  }, 240_000);
});

/** Whether the page's print button named `name` asks the browser to print (window.print stubbed). */
async function printButtonPrints(page: Page, name: string): Promise<boolean> {
  await page.evaluate(() => {
    window.print = () => document.body.setAttribute("data-printed", "yes");
  });
  await page.getByRole("button", { name, exact: true }).click();
  await page.waitForSelector("body[data-printed=yes]", { timeout: 5_000 }).catch(() => null);
  return (await page.locator("body").getAttribute("data-printed")) === "yes";
}
