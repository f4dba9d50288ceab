import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Spawned, spawnProcess, TSX } from "../helpers/process.ts";

/** A plain server holding a port on 127.0.0.1, as another program would. */
async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => res.end("someone else"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** Starts a process that should fail and returns its exit code and everything it printed. */
async function failedStart(args: string[], env: Record<string, string>) {
  const spawned = spawnProcess(TSX, args, env);
  const code = await new Promise<number | null>((resolve) => {
    if (spawned.child.exitCode !== null) resolve(spawned.child.exitCode);
    else spawned.child.once("exit", (exitCode) => resolve(exitCode));
  });
  return { code, output: spawned.stdout() + spawned.stderr() };
}

const STACK_FRAME = /^\s+at .+[:(]/m;

describe("the Node entry (functions/node.ts) as a real process", () => {
  let dir: string;
  let hub: Spawned;
  let url: string;
  let password: string;
  let busy: { port: number; code: number | null; output: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tb-node-entry-"));
    // The first start meets a busy port; the second, on the same fresh data dir, a free one.
    const { port, server } = await occupyPort();
    try {
      const env = { PORT: String(port), DATA_DIR: dir, BCRYPT_COST: "4" };
      busy = { port, ...(await failedStart(["functions/node.ts"], env)) };
    } finally {
      server.close();
    }
    hub = spawnProcess(TSX, ["functions/node.ts"], { PORT: "0", DATA_DIR: dir, BCRYPT_COST: "4" });
    url = (await hub.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    password = (hub.stderr().match(/with password:\s+(\S+)/) ?? [])[1] as string;
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("on a busy port says so in one line naming the address, exits non-zero, and prints no password", () => {
    expect(busy.code).not.toBe(0);
    expect(busy.output).toContain(
      `Cannot listen on 127.0.0.1:${busy.port}: the port is already in use (another hub running?); stop that process or set PORT to a free port`,
    );
    expect(busy.output).not.toMatch(STACK_FRAME);
    expect(busy.output).not.toContain("password");
    expect(busy.output).not.toContain("created first admin");
  });

  it("after the failed start still creates the first admin: the next start prints its password", async () => {
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

describe("npm start (scripts/start.ts) on a busy port", () => {
  it("fails in one line before it makes an admin, a library or an agent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-start-busy-"));
    const { port, server } = await occupyPort();
    try {
      const result = await failedStart(["scripts/start.ts"], {
        PORT: String(port),
        DATA_DIR: dir,
        BCRYPT_COST: "4",
      });
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(`Cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(result.output).not.toMatch(STACK_FRAME);
      expect(result.output).not.toContain("password");
      expect(existsSync(join(dir, "vtl"))).toBe(false);
      expect(existsSync(join(dir, "agent"))).toBe(false);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
