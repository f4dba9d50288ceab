import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createConsoleLogger } from "../../functions/logger-console.ts";
import { createNodeLogger } from "../../functions/logger-node.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const ADMIN_PASSWORD = "admin-password-for-workerd";

/** wrangler kept off the network: no metrics, no banner with its update check, no Request.cf download. */
const WRANGLER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

const execFileAsync = promisify(execFile);

/** The real wrangler CLI, on the Node that runs the tests (wrangler needs Node 22). */
async function wrangler(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: WRANGLER_ENV,
    timeout: 30_000,
  });
  return stdout;
}

interface DevServer {
  url: string;
  process: ChildProcess;
  output: string[];
}

/**
 * `wrangler dev` in its own process group, resolved when wrangler says the worker is ready.
 * Secrets come from `envFile` (as `.dev.vars` would give them), which also keeps a developer's
 * own `.dev.vars` out of the test.
 */
async function startWranglerDev(persistDir: string, envFile: string): Promise<DevServer> {
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      "--local",
      "--ip=127.0.0.1",
      "--port=0",
      "--inspector-port=0",
      `--persist-to=${persistDir}`,
      `--env-file=${envFile}`,
      `--var=TAPEBACKARR_ADMIN_PASSWORD:${ADMIN_PASSWORD}`,
      "--var=BCRYPT_COST:4",
      "--show-interactive-dev-session=false",
    ],
    { cwd: ROOT, env: WRANGLER_ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => output.push(line));
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(new Error(`wrangler dev exited (${code ?? signal}) before it was ready:\n${output.join("\n")}`)),
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      output.push(line);
      const ready = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (ready?.[1]) resolveUrl(ready[1]);
    });
  });
  return { url, process: child, output };
}

/** Stops wrangler as Ctrl-C would (its wrapper forwards SIGTERM) and waits for it to exit. */
async function stopWranglerDev(server: DevServer): Promise<void> {
  const { pid } = server.process;
  if (pid === undefined || server.process.exitCode !== null || server.process.signalCode !== null) return;
  const exited = once(server.process, "exit");
  process.kill(pid, "SIGTERM");
  await exited;
}

/** Safety net after a failed run: whatever is left of the group wrangler dev was started in. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * The processes of a group that are still running, from /proc (Linux). Zombies do not count:
 * workerd is reparented to init when wrangler exits, and init reaps it in its own time.
 */
function liveGroupMembers(pgid: number): string[] {
  const live: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces, so split after its closing paren.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z")
      live.push(`${pid} ${stat.slice(0, stat.lastIndexOf(")") + 1)} ${state}`);
  }
  return live;
}

function migrationTables(): string[] {
  const dir = join(ROOT, "migrations");
  const sql = readdirSync(dir)
    .filter((name) => name.endsWith(".sql"))
    .map((name) => readFileSync(join(dir, name), "utf8"))
    .join("\n");
  return [...sql.matchAll(/CREATE TABLE `(\w+)`/g)].map((m) => m[1] as string);
}

describe("the hub under workerd (wrangler dev, local D1)", () => {
  let persistDir: string;
  let server: DevServer | undefined;
  let tables: string[];

  beforeAll(async () => {
    persistDir = mkdtempSync(join(tmpdir(), "tapebackarr-workerd-"));
    await wrangler(["d1", "migrations", "apply", "DB", "--local", `--persist-to=${persistDir}`]);
    const listed = await wrangler([
      "d1",
      "execute",
      "DB",
      "--local",
      `--persist-to=${persistDir}`,
      "--json",
      "--command=SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    ]);
    const [result] = JSON.parse(listed) as { results: { name: string }[] }[];
    tables = (result?.results ?? []).map((row) => row.name);
    // A set with three entries, one of them deleted again: the trigram name index follows both.
    await wrangler([
      "d1",
      "execute",
      "DB",
      "--local",
      `--persist-to=${persistDir}`,
      `--command=INSERT INTO backup_sets (uuid, backup_type, state, compression, encryption, block_size, started_at, created_at)
         VALUES ('${crypto.randomUUID()}', 'full', 'complete', 'none', 'none', 65536, 0, 0);
       INSERT INTO catalog_entries (set_id, dir, name, type, size, mode, uid, gid, mtime, offset) VALUES
         (1, 'srv/a', 'quarterly-invoice.pdf', 'file', 1, 420, 0, 0, 0, 0),
         (1, 'srv/a', 'old-invoice.pdf', 'file', 1, 420, 0, 0, 0, 512),
         (1, 'srv/a', 'notes.txt', 'file', 1, 420, 0, 0, 0, 1024);
       DELETE FROM catalog_entries WHERE name = 'old-invoice.pdf';`,
    ]);
    const envFile = join(persistDir, "secrets.env");
    writeFileSync(
      envFile,
      ["ORDER_SIGNING_KEY", "MASTER_KEY", "SESSION_SECRET"]
        .map((name) => `${name}=${randomBytes(32).toString("base64url")}\n`)
        .join(""),
    );
    server = await startWranglerDev(persistDir, envFile);
  }, 60_000);

  afterAll(async () => {
    if (server) {
      await stopWranglerDev(server);
      if (server.process.pid !== undefined) killGroup(server.process.pid);
    }
    if (persistDir) rmSync(persistDir, { recursive: true, force: true });
  }, 30_000);

  const hub = (path: string, init?: RequestInit) => fetch(`${server?.url}${path}`, init);
  const login = (password: string) =>
    hub("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });

  it("has every table of the migrations in D1 after wrangler applied them", () => {
    expect(tables).toEqual(expect.arrayContaining([...migrationTables(), "d1_migrations"]));
  });

  it("answers the health check with the catalog reachable", async () => {
    const res = await hub("/api/v1/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("signs in the admin created from TAPEBACKARR_ADMIN_PASSWORD with a token and a strict session cookie", async () => {
    const res = await login(ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: { username: string; role: string } };
    expect(body.token.split(".")).toHaveLength(3);
    expect(body.user).toMatchObject({ username: "admin", role: "admin" });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^tb_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);

    const me = await hub("/api/v1/auth/me", { headers: { authorization: `Bearer ${body.token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { username: "admin" }, via: "bearer" });
  });

  it("searches names by a glob with a leading * through the trigram index in D1", async () => {
    const { token } = (await (await login(ADMIN_PASSWORD)).json()) as { token: string };
    const res = await hub("/api/v1/catalog/search?glob=*invoice*", {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { dir: string; name: string }[] };
    expect(items.map((e) => `${e.dir}/${e.name}`)).toEqual(["srv/a/quarterly-invoice.pdf"]);
  });

  it("refuses a wrong password with 401 in the API's error shape", async () => {
    const res = await login("not-the-admin-password");
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    const { error } = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(error).toEqual({
      code: "invalid_credentials",
      message: expect.any(String),
      requestId: res.headers.get("x-request-id"),
    });
  });

  it("renders the login page with its form", async () => {
    const res = await hub("/login");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<form[^>]*hx-post="\/login"/);
    expect(html).toContain('name="password"');
  });

  it("serves htmx from the htmx.org package as JavaScript", async () => {
    const res = await hub("/assets/htmx.min.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
    const require = createRequire(import.meta.url);
    expect(await res.text()).toBe(readFileSync(require.resolve("htmx.org/dist/htmx.min.js"), "utf8"));
  });

  it("stops wrangler and workerd together, leaving no process behind", async () => {
    const running = server as DevServer;
    const pgid = running.process.pid as number;
    expect(liveGroupMembers(pgid).length).toBeGreaterThanOrEqual(2);
    await stopWranglerDev(running);
    // workerd and esbuild are wrangler's children and end when it does, just not in the same instant.
    await vi.waitFor(() => expect(liveGroupMembers(pgid)).toEqual([]), { timeout: 5_000, interval: 50 });
  });
});

describe("the hub under workerd without its secrets", () => {
  let persistDir: string;
  let server: DevServer | undefined;

  beforeAll(async () => {
    persistDir = mkdtempSync(join(tmpdir(), "tapebackarr-workerd-bare-"));
    const envFile = join(persistDir, "empty.env");
    writeFileSync(envFile, "");
    server = await startWranglerDev(persistDir, envFile);
  }, 60_000);

  afterAll(async () => {
    if (server) {
      await stopWranglerDev(server);
      if (server.process.pid !== undefined) killGroup(server.process.pid);
    }
    if (persistDir) rmSync(persistDir, { recursive: true, force: true });
  }, 30_000);

  it("refuses every request and names each missing secret with how to set it in the log, not the answer", async () => {
    const res = await fetch(`${server?.url}/api/v1/health`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({
      error: { code: "unavailable", message: "The hub is misconfigured" },
    });
    await vi.waitFor(() => expect(server?.output.join("\n")).toContain("Missing hub secrets"), {
      timeout: 5_000,
    });
    const log = server?.output.join("\n") ?? "";
    for (const name of ["ORDER_SIGNING_KEY", "MASTER_KEY", "SESSION_SECRET"]) {
      expect(log).toContain(`wrangler secret put ${name}`);
      expect(body).not.toContain(name);
    }
  });
});

describe("the console logger used on workerd", () => {
  const sample = {
    password: "p1",
    token: "t1",
    user: { name: "ann", password: "p2", key: "k2" },
    headers: { authorization: "Bearer x", cookie: "tb_session=y", accept: "*/*" },
    req: { headers: { authorization: "Bearer z", cookie: "c" }, path: "/login" },
    list: [{ password: "kept, as pino keeps it" }],
  };

  function nodeLine(obj: object): Record<string, unknown> {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    createNodeLogger("info", sink).child({ secret: "s0", site: "a" }).info(obj, "hello");
    return JSON.parse(lines[0] as string);
  }

  function consoleLine(obj: object): Record<string, unknown> {
    const lines: string[] = [];
    createConsoleLogger("info", (_level, line) => lines.push(line))
      .child({ secret: "s0", site: "a" })
      .info(obj, "hello");
    return JSON.parse(lines[0] as string);
  }

  it("redacts exactly what the Node (pino) logger redacts and leaves the object untouched", () => {
    const before = structuredClone(sample);
    const { time: _t1, ...fromConsole } = consoleLine(sample);
    const { time: _t2, ...fromPino } = nodeLine(sample);
    expect(fromConsole).toEqual(fromPino);
    expect(fromConsole).toMatchObject({ password: "[redacted]", secret: "[redacted]", site: "a" });
    expect(sample).toEqual(before);
  });

  it("drops lines below its level", () => {
    const lines: string[] = [];
    const log = createConsoleLogger("warn", (_level, line) => lines.push(line));
    log.info({}, "quiet");
    log.warn({}, "loud");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["loud"]);
  });
});
