import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach } from "vitest";
import { nodeScrypt } from "../../contracts/scrypt-node.ts";
import { createApp, type HubApp } from "../../functions/app.ts";
import { parseConfig } from "../../functions/config.ts";
import type { Db } from "../../functions/db/client.ts";
import { migrateCatalog, type NodeCatalog, openCatalog } from "../../functions/db/client-node.ts";
import type { Role } from "../../functions/db/schema/index.ts";
import type { Deps, ServiceCtx } from "../../functions/deps.ts";
import { createNodeLogger } from "../../functions/logger-node.ts";
import { keyFileStore } from "../../functions/security/key-file-node.ts";
import { createOrderWake } from "../../functions/services/orders/order-wake.ts";
import { bootstrapHub } from "../../functions/services/setup/bootstrap-hub.ts";
import { createUser } from "../../functions/services/users/create-user.ts";

export const ADMIN_PASSWORD = "admin-password-for-tests";
export const USER_PASSWORD = "user-password-for-tests";

export interface TestHub extends HubApp {
  deps: Deps;
  ctx: ServiceCtx;
  catalog: NodeCatalog;
  dir: string;
  /** Every line the hub logged, as parsed JSON. */
  logs: Record<string, unknown>[];
  /** Moves the hub's clock; rate-limit windows and expiries follow it. */
  advanceClock(ms: number): void;
  request(
    path: string,
    init?: RequestInit & { json?: unknown; token?: string; ip?: string },
  ): Promise<Response>;
  /** `request`, and the answer's body parsed as JSON, whatever its status. */
  requestJson<T>(
    path: string,
    init?: RequestInit & { json?: unknown; token?: string; ip?: string },
  ): Promise<T>;
  /**
   * POSTs a form as htmx does (urlencoded, HX-Request), as `token` when given; a string body is sent
   * as it is.
   */
  postForm(
    path: string,
    form: string | Record<string, string> | [string, string][],
    token?: string,
  ): Promise<Response>;
  /** Signs in as the test user of the role (created on first use) and returns its cached bearer token. */
  tokenFor(role: Role): Promise<string>;
  /** A new session of the role's test user, for tests that end it. */
  freshTokenFor(role: Role): Promise<string>;
  close(): Promise<void>;
}

/**
 * A hub on a fresh embedded libSQL file in a temp dir, migrated and bootstrapped, with a test clock.
 * With `db` (a migrated D1 through wrangler's platform proxy), the app and `ctx` use that catalog
 * instead; `catalog` is then the unused libSQL file. With `migrationsFolder`, the file is migrated
 * with those migrations only (an older catalog, to test what a later migration does to it).
 */
export async function createTestHub(
  env: Record<string, string> = {},
  opts: { db?: Db; migrationsFolder?: string; writeThread?: false } = {},
): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), "tapebackarr-hub-"));
  const config = parseConfig({
    DATA_DIR: dir,
    TAPEBACKARR_ADMIN_PASSWORD: ADMIN_PASSWORD,
    BCRYPT_COST: "4",
    LOG_LEVEL: "info",
    ...env,
  });
  const url = `file:${join(dir, "catalog.db")}`;
  const catalog = openCatalog(url);
  await migrateCatalog(catalog, url, opts.migrationsFolder);
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const db = opts.db ?? catalog.db;
  // As the Node entry: polls are woken in-process when an order is queued through `ctx` or the app.
  const orderWake = createOrderWake();
  // As the Node entry: catalog chunks go to the embedded file's write thread (not with a D1 `db`,
  // nor with `writeThread: false`: the request thread's batch, as D1 and remote libSQL run it).
  const catalogWrites = opts.db || opts.writeThread === false ? undefined : catalog.writes;
  const ctx: ServiceCtx = { db, now, orderWake, ...(catalogWrites ? { catalogWrites } : {}) };
  // The hub's keys in a key file in the temp dir, as the Node entry keeps them.
  const boot = await bootstrapHub(ctx, config, {
    store: keyFileStore(dir, () => undefined),
    howToSet: (name) => `set ${name}`,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const deps: Deps = {
    config,
    db,
    logger: createNodeLogger("info", sink),
    secrets: boot.secrets,
    scrypt: nodeScrypt,
    assets: {
      get: async (name) =>
        name.startsWith("docs/")
          ? {
              body: await readFile(new URL(`../../${name}`, import.meta.url), "utf8"),
              contentType: "text/markdown",
            }
          : { body: "/* htmx */", contentType: "text/javascript" },
    },
    now,
    orderWake,
    ...(catalogWrites ? { catalogWrites } : {}),
    peerIp: () => "127.0.0.1",
  };
  const hub = createApp(deps);
  const tokens = new Map<Role, string>();
  const created = new Set<Role>();

  const request: TestHub["request"] = (path, init = {}) => {
    const { json, token, ip, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set("content-type", "application/json");
    if (token) headers.set("authorization", `Bearer ${token}`);
    if (ip) headers.set("x-forwarded-for", ip);
    const body = json !== undefined ? JSON.stringify(json) : rest.body;
    return Promise.resolve(
      hub.app.request(path, { ...rest, headers, ...(body === undefined ? {} : { body }) }),
    );
  };

  async function freshTokenFor(role: Role): Promise<string> {
    const username = role === "admin" ? "admin" : `${role.replace("-", "")}-user`;
    if (role !== "admin" && !created.has(role)) {
      await createUser(ctx, { username, password: USER_PASSWORD, role, disabled: false }, 4);
      created.add(role);
    }
    const res = await request("/api/v1/auth/login", {
      method: "POST",
      json: { username, password: role === "admin" ? ADMIN_PASSWORD : USER_PASSWORD },
    });
    if (res.status !== 200) throw new Error(`login as ${role} failed: ${res.status} ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    return token;
  }

  return {
    ...hub,
    deps,
    ctx,
    catalog,
    dir,
    logs,
    request,
    postForm: (path, form, token) =>
      request(path, {
        method: "POST",
        ...(token ? { token } : {}),
        headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
        body: typeof form === "string" ? form : new URLSearchParams(form).toString(),
      }),
    requestJson: async <T>(...args: Parameters<TestHub["request"]>) =>
      (await (await request(...args)).json()) as T,
    advanceClock: (ms) => {
      offset += ms;
    },
    async tokenFor(role) {
      const cached = tokens.get(role);
      if (cached) return cached;
      const token = await freshTokenFor(role);
      tokens.set(role, token);
      return token;
    },
    freshTokenFor,
    async close() {
      await catalog.writes?.close();
      catalog.client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Gives each test of the describe block a fresh hub (`env` as for createTestHub) and the admin's
 * token, handed to `use` before the test; the hub is closed after it.
 */
export function hubWithAdminForEachTest(
  env: Record<string, string>,
  use: (fixture: { hub: TestHub; admin: string }) => void,
): void {
  let hub: TestHub | undefined;
  beforeEach(async () => {
    hub = await createTestHub(env);
    use({ hub, admin: await hub.tokenFor("admin") });
  });
  afterEach(() => hub?.close());
}

/** The error body every API failure shares. */
export async function errorOf(
  res: Response,
): Promise<{ code: string; message: string; requestId: string; details?: unknown }> {
  const body = (await res.json()) as {
    error: { code: string; message: string; requestId: string; details?: unknown };
  };
  return body.error;
}
