import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Spawned, spawnProcess, TSX } from "../helpers/process.ts";

describe("the Node entry (functions/node.ts) as a real process", () => {
  let dir: string;
  let hub: Spawned;
  let url: string;
  let password: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tb-node-entry-"));
    hub = spawnProcess(TSX, ["functions/node.ts"], { PORT: "0", DATA_DIR: dir, BCRYPT_COST: "4" });
    url = (await hub.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    password = (hub.stderr().match(/with password:\s+(\S+)/) ?? [])[1] as string;
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the catalog file, prints a generated admin password once and keeps it out of the JSON log", async () => {
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    await hub.waitFor(/"msg":"hub listening"/);
    expect(hub.stdout()).not.toContain(password);
    expect(existsSync(join(dir, "tapebackarr.db"))).toBe(true);
  });

  it("answers health, serves the htmx login page and htmx itself, and signs in with the printed password", async () => {
    const health = await fetch(`${url}/api/v1/health`);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const page = await fetch(`${url}/login`);
    const html = await page.text();
    expect(html).toContain('hx-post="/login"');
    expect(html).toContain('<script src="/assets/htmx.min.js"');
    const htmx = await fetch(`${url}/assets/htmx.min.js`);
    expect(htmx.headers.get("content-type")).toMatch(/javascript/);
    expect((await htmx.text()).length).toBeGreaterThan(10_000);

    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const dashboard = await fetch(`${url}/`, { headers: { authorization: `Bearer ${token}` } });
    expect(await dashboard.text()).toContain("<h1>Dashboard</h1>");
  });

  it("logs one JSON line per request with a request id and never the token", async () => {
    const res = await fetch(`${url}/api/v1/health`, { headers: { "x-request-id": "trace-me-0001" } });
    expect(res.headers.get("x-request-id")).toBe("trace-me-0001");
    await hub.waitFor(/"requestId":"trace-me-0001"/);
    const line = hub
      .stdout()
      .split("\n")
      .find((l) => l.includes("trace-me-0001")) as string;
    expect(JSON.parse(line)).toMatchObject({ method: "GET", path: "/api/v1/health", status: 200 });
    expect(hub.stdout()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it("stops on SIGTERM within seconds even while a client holds a request open", async () => {
    // A client that never finishes its request body (a stalled agent, a slow-loris): waiting for
    // every connection to end would keep the hub from ever stopping.
    const stalled = request(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "1000" },
    });
    stalled.on("error", () => undefined);
    stalled.write('{"username": "adm');
    await new Promise((resolve) => stalled.once("socket", resolve));
    const started = Date.now();
    expect(await hub.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
    stalled.destroy();
  }, 20_000);
});
