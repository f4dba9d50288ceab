import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";

/** The system's Chromium, headless, without the background traffic and updates a test does not want. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page of a new context whose every dialog is dismissed, its message kept in `dialogs` (none is expected). */
export async function pageKeepingDialogs(
  browser: Browser,
  dialogs: string[],
  options?: BrowserContextOptions,
): Promise<Page> {
  const page = await (await browser.newContext(options)).newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return page;
}

/** Signs `page` in to the hub at `hubUrl` through its login form; resolves once the dashboard is shown. */
export async function signInThroughForm(
  page: Page,
  hubUrl: string,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(`${hubUrl}/login`);
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${hubUrl}/`);
}
