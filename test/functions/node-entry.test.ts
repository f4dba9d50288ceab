import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderVerifier, verifyOrder } from "../../drive-agent/runtime/verify-order.ts";
import { parseConfig } from "../../functions/config.ts";
import { migrateCatalog, openCatalog } from "../../functions/db/client-node.ts";
import { sessions, settings, users } from "../../functions/db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../functions/deps.ts";
import { KEY_FILE_NAME, keyFileStore } from "../../functions/security/key-file-node.ts";
import { loadOrderSigningKey } from "../../functions/security/order-keys.ts";
import { hashPassword } from "../../functions/security/passwords.ts";
import { signSessionToken } from "../../functions/security/session-token.ts";
import { createEncryptionKey } from "../../functions/services/encryption-keys/create-encryption-key.ts";
import { revealDataKey } from "../../functions/services/encryption-keys/reveal-data-key.ts";
import { signOrder } from "../../functions/services/orders/sign-order.ts";
import { settleHubSecrets } from "../../functions/services/setup/hub-secrets.ts";
import { catalogBytes, holdsSecret, readKeyFile, seedLegacySecrets } from "../helpers/hub-secrets.ts";
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

const ADMIN_PASSWORD = "admin-password-for-node-entry";
const HUB_ENV = { PORT: "0", BCRYPT_COST: "4", TAPEBACKARR_ADMIN_PASSWORD: ADMIN_PASSWORD };

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

const EJECT = {
  kind: "eject",
  runId: null,
  drive: { devicePath: "/vtl/drive0" },
  expectedBarcode: "L00001L9",
} as const;

/** Signs in over HTTP and returns the bearer token. */
async function signIn(url: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** Creates an agent and enrolls it as a drive-agent would; returns the hub key it pins. */
async function enrollAgent(
  url: string,
  token: string,
  name = "tapehost",
): Promise<{ agentId: string; hubSigningKey: JWK }> {
  const created = await fetch(`${url}/api/v1/agents`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name, site: "Main" }),
  });
  expect(created.status).toBe(201);
  const { enrollmentToken } = (await created.json()) as { enrollmentToken: string };
  const publicOf = async (alg: string, crv: string) => {
    const { publicKey } = await generateKeyPair(alg, { crv, extractable: true });
    const { kty, x } = await exportJWK(publicKey);
    return { kty, crv, x };
  };
  const enrolled = await fetch(`${url}/agent/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      token: enrollmentToken,
      signingKey: await publicOf("EdDSA", "Ed25519"),
      encryptionKey: await publicOf("ECDH-ES+A256KW", "X25519"),
      hostname: "tapehost-1",
      version: "test",
      drives: [{ devicePath: "/vtl/drive0", name: "Drive 0", kind: "vtl" }],
      changers: [],
    }),
  });
  expect(enrolled.status).toBe(200);
  return (await enrolled.json()) as { agentId: string; hubSigningKey: JWK };
}

describe("the Node entry keeps the hub's secrets out of the catalog", () => {
  let dir: string;
  let hub: Spawned;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-node-secrets-"));
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates its keys in a 0600 key file, and the catalog's bytes never hold the signing key, session secret or master key", async () => {
    hub = spawnProcess(TSX, ["functions/node.ts"], { ...HUB_ENV, DATA_DIR: dir });
    const url = (await hub.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    const token = await signIn(url, ADMIN_PASSWORD);
    // The master key wraps a data key, the signing key is published to an agent.
    const key = await fetch(`${url}/api/v1/encryption-keys`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "vault" }),
    });
    expect(key.status).toBe(201);
    const { hubSigningKey } = await enrollAgent(url, token);

    const file = readKeyFile(dir);
    expect(file.mode).toBe(0o600);
    const pinned = await loadOrderSigningKey(Buffer.from(file.orderSigningKey, "base64url"));
    expect(hubSigningKey).toEqual(pinned.publicJwk);
    const dbPath = join(dir, "tapebackarr.db");
    const secrets = [file.orderSigningKey, file.masterKey, file.sessionKey];
    // While it runs (file and WAL) and once it stopped (checkpointed): the public half is there,
    // so the right bytes were read; none of the private values is.
    const running = catalogBytes(dbPath);
    expect(running.includes(pinned.publicJwk.x)).toBe(true);
    for (const secret of secrets) expect(holdsSecret(running, secret)).toBe(false);
    expect(await hub.stop()).toBe(0);
    const stopped = catalogBytes(dbPath);
    expect(stopped.includes(pinned.publicJwk.x)).toBe(true);
    for (const secret of secrets) expect(holdsSecret(stopped, secret)).toBe(false);
  });

  it("starts again on its key file, tightening a mode that lets others read it", async () => {
    const before = readKeyFile(dir);
    chmodSync(join(dir, KEY_FILE_NAME), 0o644);
    hub = spawnProcess(TSX, ["functions/node.ts"], { ...HUB_ENV, DATA_DIR: dir });
    const url = (await hub.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    await hub.waitFor(/was mode 0644; tightened it to 0600/);
    expect(readKeyFile(dir)).toEqual({ ...before, mode: 0o600 });
    expect((await enrollAgent(url, await signIn(url, ADMIN_PASSWORD), "second")).hubSigningKey).toEqual(
      (await loadOrderSigningKey(Buffer.from(before.orderSigningKey, "base64url"))).publicJwk,
    );
    expect(await hub.stop()).toBe(0);
  });

  it("refuses to start with a message naming a key file it cannot use", async () => {
    const path = join(dir, KEY_FILE_NAME);
    const kept = readFileSync(path);
    writeFileSync(path, "not json", { mode: 0o600 });
    hub = spawnProcess(TSX, ["functions/node.ts"], { ...HUB_ENV, DATA_DIR: dir });
    expect(await new Promise((resolve) => hub.child.once("exit", resolve))).toBe(2);
    expect(hub.stderr()).toContain(`The hub's key file ${path} is not valid JSON`);
    rmSync(path);
    hub = spawnProcess(TSX, ["functions/node.ts"], { ...HUB_ENV, DATA_DIR: dir });
    expect(await new Promise((resolve) => hub.child.once("exit", resolve))).toBe(2);
    expect(hub.stderr()).toMatch(
      /This catalog's agents pin the order-signing key \S+, but this hub does not have it/,
    );
    expect(hub.stderr()).toContain(`Give it in ${path} or ORDER_SIGNING_KEY`);
    writeFileSync(path, kept, { mode: 0o600 });
  });
});

describe("the Node entry moves an older catalog's plaintext secrets out of it", () => {
  let dir: string;
  let hub: Spawned | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-node-migrate-"));
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the same keys in the key file, deletes the rows and their bytes, and agents and sign-ins go on working", async () => {
    const dbPath = join(dir, "tapebackarr.db");
    const url = `file:${dbPath}`;
    const catalog = openCatalog(url);
    await migrateCatalog(catalog, url);
    const ctx: ServiceCtx = { db: catalog.db, now: () => new Date() };
    const old = await seedLegacySecrets(ctx);
    const oldMaster = Buffer.from(old.masterKey, "base64url");
    const vault = await createEncryptionKey(
      ctx,
      { masterKey: oldMaster } as Pick<HubSecrets, "masterKey"> as HubSecrets,
      { name: "vault" },
    );
    const [admin] = await catalog.db
      .insert(users)
      .values({
        username: "admin",
        passwordHash: await hashPassword(ADMIN_PASSWORD, 4),
        role: "admin",
        createdAt: new Date(),
        updatedAt: new Date(),
      })
      .returning();
    // A sign-in made before the upgrade, signed with the old session key.
    const expiresAt = new Date(Date.now() + 3_600_000);
    await catalog.db
      .insert(sessions)
      .values({ id: "before-upgrade", userId: admin?.id as number, createdAt: new Date(), expiresAt });
    const session = await signSessionToken(
      Buffer.from(old.sessionKey, "base64url"),
      { sessionId: "before-upgrade", userId: admin?.id as number },
      expiresAt,
    );
    catalog.client.close();
    expect(holdsSecret(catalogBytes(dbPath), old.d)).toBe(true);

    hub = spawnProcess(TSX, ["functions/node.ts"], { ...HUB_ENV, DATA_DIR: dir });
    const hubUrl = (await hub.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    await hub.waitFor(/Moved hub.order_signing_key out of the catalog into \S+hub-secrets.json/);
    await hub.waitFor(
      /Deleted hub.order_signing_key, hub.master_key, hub.session_key from the catalog; older backups/,
    );
    const me = await fetch(`${hubUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${session}` } });
    expect(me.status).toBe(200);
    const { agentId, hubSigningKey } = await enrollAgent(hubUrl, await signIn(hubUrl, ADMIN_PASSWORD));
    expect(hubSigningKey).toEqual(old.publicJwk);
    expect(await hub.stop()).toBe(0);
    hub = undefined;

    const file = readKeyFile(dir);
    expect(file).toMatchObject({
      mode: 0o600,
      orderSigningKey: old.d,
      masterKey: old.masterKey,
      sessionKey: old.sessionKey,
    });
    const bytes = catalogBytes(dbPath);
    for (const secret of [old.d, old.masterKey, old.sessionKey])
      expect(holdsSecret(bytes, secret)).toBe(false);

    // The next start, as the hub makes it: the rows are gone, the same keys come from the file.
    const again = openCatalog(url);
    try {
      const next: ServiceCtx = { db: again.db, now: () => new Date() };
      const rows = await again.db
        .select({ key: settings.key, secret: settings.secret })
        .from(settings)
        .orderBy(settings.key);
      expect(rows.filter((row) => row.key.startsWith("hub."))).toEqual([
        { key: "hub.master_key_check", secret: false },
        { key: "hub.order_signing_public_key", secret: false },
      ]);
      const { secrets } = await settleHubSecrets(next, parseConfig({ DATA_DIR: dir }), {
        store: keyFileStore(dir, () => undefined),
        howToSet: (name) => `set ${name}`,
      });
      expect((await revealDataKey(next, secrets, vault.id)).fingerprint).toBe(vault.fingerprint);
      const order = await signOrder(secrets, { id: crypto.randomUUID(), agentId, body: EJECT }, new Date());
      const verifier = await createOrderVerifier(
        { hubSigningKey: old.publicJwk, agentId },
        { skewSeconds: 30, isSeen: () => false, nowSeconds: () => Math.floor(Date.now() / 1000) },
      );
      expect(await verifyOrder(order, verifier)).toMatchObject({
        ok: true,
        claims: { aud: agentId, body: EJECT },
      });
    } finally {
      again.client.close();
    }
  });
});
