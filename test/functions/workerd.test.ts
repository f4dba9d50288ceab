import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createConsoleLogger } from "../../functions/logger-console.ts";
import { createNodeLogger } from "../../functions/logger-node.ts";
import {
  D1_SETUP_TIMEOUT_MS,
  type DevServer,
  liveGroupMembers,
  migrateLocalD1,
  queryLocalD1,
  startWranglerDev,
  stopDevServer,
  stopWranglerDev,
  wrangler,
  writeSecretsFile,
} from "../helpers/wrangler.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const ADMIN_PASSWORD = "admin-password-for-workerd";
const MOVING_AGENT = "00000000-0000-4000-8000-00000000a9e1";

function migrationTables(): string[] {
  const dir = join(ROOT, "migrations");
  const sql = readdirSync(dir)
    .filter((name) => name.endsWith(".sql"))
    .map((name) => readFileSync(join(dir, name), "utf8"))
    .join("\n");
  // drizzle-kit rebuilds a table as `__new_x` and renames it to `x`: the renamed name is what exists.
  const renamed = new Set([...sql.matchAll(/ALTER TABLE `(\w+)` RENAME TO/g)].map((m) => m[1] as string));
  return [...sql.matchAll(/CREATE TABLE `(\w+)`/g)].map((m) => m[1] as string).filter((t) => !renamed.has(t));
}

describe("the hub under workerd (wrangler dev, local D1)", () => {
  let persistDir: string;
  let server: DevServer | undefined;
  let tables: string[];

  beforeAll(async () => {
    persistDir = mkdtempSync(join(tmpdir(), "tapebackarr-workerd-"));
    await migrateLocalD1(persistDir);
    tables = (
      await queryLocalD1<{ name: string }>(
        persistDir,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
      )
    ).map((row) => row.name);
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
       DELETE FROM catalog_entries WHERE name = 'old-invoice.pdf';
       INSERT INTO sites (id, name, created_at) VALUES (1, 'Old office', 0), (2, 'New office', 0);
       INSERT INTO agents (id, name, site_id, state, created_at, updated_at)
         VALUES ('${MOVING_AGENT}', 'mover', 1, 'online', 0, 0);
       INSERT INTO changers (id, agent_id, name, device_path, slot_count, created_at)
         VALUES (1, '${MOVING_AGENT}', 'lib', '/dev/sg3', 8, 0);
       INSERT INTO tapes (barcode, state, changer_id, slot, site_id, created_at, updated_at) VALUES
         ('MOVD01L9', 'blank', 1, 1, 1, 0, 0), ('SHLF01L9', 'blank', NULL, NULL, 1, 0, 0);`,
    ]);
    server = await startWranglerDev(persistDir, writeSecretsFile(join(persistDir, "secrets.env")), {
      vars: { TAPEBACKARR_ADMIN_PASSWORD: ADMIN_PASSWORD, BCRYPT_COST: "4" },
    });
  }, D1_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stopDevServer(server);
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

  it("moves a host to another site in D1 with the tapes of its library, each move recorded", async () => {
    const { token } = (await (await login(ADMIN_PASSWORD)).json()) as { token: string };
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const res = await hub(`/api/v1/agents/${MOVING_AGENT}/move`, {
      method: "POST",
      headers,
      body: JSON.stringify({ toSiteId: 2 }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ to: { name: "New office" }, tapes: [{ barcode: "MOVD01L9" }] });
    const tapes = await hub("/api/v1/tapes?site=2", { headers });
    const { items } = (await tapes.json()) as { items: { id: number; barcode: string }[] };
    expect(items.map((t) => t.barcode)).toEqual(["MOVD01L9"]);
    const page = await (await hub(`/tapes/${items[0]?.id}`, { headers })).text();
    expect(page).toContain("host mover moved to site New office");
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
  }, D1_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stopDevServer(server);
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
