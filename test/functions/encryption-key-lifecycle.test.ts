import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataKeyFingerprint, parseWrappedKey, unwrapWithPassphrase } from "../../contracts/key-export.ts";
import { nodeScrypt } from "../../contracts/scrypt-node.ts";
import { auditLogs, backupSetSegments, tapes } from "../../functions/db/schema/index.ts";
import { webScrypt } from "../../functions/security/scrypt-web.ts";
import { insertSet } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

type Key = { id: number; name: string; fingerprint: string; retiredAt: string | null };
const PASSPHRASE = "correct horse battery staple";

describe("encryption key lifecycle through the API", () => {
  let hub: TestHub;
  let fresh: TestHub;
  let admin: string;
  let poolId: number;
  let first: Key;
  let second: Key;
  let setId: number;

  const call = async <T>(h: TestHub, method: string, path: string, json?: unknown) => {
    const res = await h.request(path, {
      method,
      token: h === hub ? admin : await h.tokenFor("admin"),
      ...(json === undefined ? {} : { json }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    hub = await createTestHub();
    fresh = await createTestHub();
    admin = await hub.tokenFor("admin");
    poolId = (await call<{ id: number }>(hub, "POST", "/api/v1/pools", { name: "Vault" })).body.id;
  });
  afterAll(async () => {
    await hub.close();
    await fresh.close();
  });

  it("rotating a pool's key gives it a new current key and keeps the previous one", async () => {
    const one = await call<{ key: Key; previous: Key | null }>(
      hub,
      "POST",
      `/api/v1/pools/${poolId}/rotate-key`,
      {
        name: "vault-1",
      },
    );
    expect(one.status).toBe(200);
    expect(one.body.previous).toBeNull();
    first = one.body.key;
    const two = await call<{ key: Key; previous: Key | null }>(
      hub,
      "POST",
      `/api/v1/pools/${poolId}/rotate-key`,
      {},
    );
    second = two.body.key;
    expect(two.body.previous?.fingerprint).toBe(first.fingerprint);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    const keys = (await call<{ items: Key[] }>(hub, "GET", "/api/v1/encryption-keys")).body.items;
    expect(keys.map((k) => k.fingerprint)).toEqual([first.fingerprint, second.fingerprint]);
    expect(JSON.stringify(keys)).not.toMatch(/wrapped/i);
  });

  it("refuses to retire or delete a key while a retained set needs it, naming the set and its tape", async () => {
    setId = await insertSet(hub, {
      encryption: "aes-256-gcm",
      encryptionKeyFingerprint: first.fingerprint,
      poolId,
    });
    const [tape] = await hub.ctx.db
      .insert(tapes)
      .values({
        barcode: "KEY001L9",
        uuid: crypto.randomUUID(),
        poolId,
        state: "full",
        createdAt: new Date(),
        updatedAt: new Date(),
      })
      .returning();
    await hub.ctx.db
      .insert(backupSetSegments)
      .values({ setId, sequence: 0, tapeId: tape?.id as number, fileNumber: 1, createdAt: new Date() });

    const retire = await call<{ error: { code: string; message: string } }>(
      hub,
      "POST",
      `/api/v1/encryption-keys/${first.id}/retire`,
    );
    expect(retire.status).toBe(409);
    expect(retire.body.error.message).toContain(`#${setId}`);
    expect(retire.body.error.message).toContain("KEY001L9");
    const del = await call<{ error: { message: string } }>(
      hub,
      "DELETE",
      `/api/v1/encryption-keys/${first.id}`,
    );
    expect(del.status).toBe(409);
    expect(del.body.error.message).toContain(`#${setId}`);

    // The pool's current key is refused too: its next sets would need it.
    const current = await call<{ error: { message: string } }>(
      hub,
      "POST",
      `/api/v1/encryption-keys/${second.id}/retire`,
    );
    expect(current.status).toBe(409);
    expect(current.body.error.message).toContain("pool(s) Vault");

    const detail = await call<{ sets: { id: number }[]; mayRetire: boolean }>(
      hub,
      "GET",
      `/api/v1/encryption-keys/${first.id}`,
    );
    expect(detail.body).toMatchObject({ sets: [{ id: setId }], mayRetire: false });
  });

  it("retires and then deletes the key once its last tape has expired", async () => {
    await hub.ctx.db.update(tapes).set({ state: "expired" }).where(eq(tapes.barcode, "KEY001L9"));
    const retired = await call<Key>(hub, "POST", `/api/v1/encryption-keys/${first.id}/retire`);
    expect(retired.status).toBe(200);
    expect(retired.body.retiredAt).not.toBeNull();
    // A retired key is no pool's next key.
    const adopt = await call(hub, "POST", `/api/v1/pools/${poolId}/rotate-key`, { keyId: first.id });
    expect(adopt.status).toBe(409);
    expect((await call(hub, "DELETE", `/api/v1/encryption-keys/${first.id}`)).status).toBe(200);
  });

  let wrapped: string;
  it("exports a key only wrapped with a passphrase, which unwraps to the key with the same fingerprint", async () => {
    const weak = await call(hub, "POST", `/api/v1/encryption-keys/${second.id}/export`, {
      passphrase: "short",
    });
    expect(weak.status).toBe(400);
    const res = await call<{ wrapped: string; fingerprint: string; hint: string }>(
      hub,
      "POST",
      `/api/v1/encryption-keys/${second.id}/export`,
      { passphrase: PASSPHRASE, hint: "the comic about passwords" },
    );
    expect(res.status).toBe(200);
    wrapped = res.body.wrapped;
    expect(wrapped).toMatch(/^tbkey1\.[0-9a-f]{32}\.scrypt-17-8-1\./);
    expect(parseWrappedKey(wrapped).fingerprint).toBe(second.fingerprint);
    // node:crypto's scrypt (Node hub, agent) and @noble/hashes' (workerd) read the same text.
    for (const scrypt of [nodeScrypt, webScrypt])
      expect(
        (await unwrapWithPassphrase({ text: wrapped, passphrase: PASSPHRASE, scrypt })).fingerprint,
      ).toBe(second.fingerprint);
  }, 60_000);

  it("docs/tape-format.md's Node.js step unwraps the exported line to the raw key, without TapeBackarr", async () => {
    const doc = await readFile(new URL("../../docs/tape-format.md", import.meta.url), "utf8");
    const keys = doc.slice(doc.indexOf("## Keys"), doc.indexOf("## Catalog backups"));
    const script = /^```sh\n([\s\S]*?)^```$/m.exec(keys)?.[1];
    expect(script).toContain("scryptSync");
    const dir = await mkdtemp(join(tmpdir(), "tb-unwrap-"));
    try {
      await writeFile(join(dir, "key.txt"), `${wrapped}\n`);
      await promisify(execFile)("bash", ["-c", script as string], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", PASSPHRASE },
      });
      expect(await dataKeyFingerprint(await readFile(join(dir, "set.key")))).toBe(second.fingerprint);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a fresh hub imports the wrapped key with the passphrase, and a wrong passphrase fails clearly", async () => {
    const wrong = await call<{ error: { code: string; message: string } }>(
      fresh,
      "POST",
      "/api/v1/encryption-keys/import",
      { name: "from the safe", wrapped, passphrase: "not the passphrase" },
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toBe(
      `wrong passphrase for key ${second.fingerprint} (or the wrapped key text was altered): give the passphrase this key's sheet was made with (the hint on the sheet recalls it) and compare the tbkey1. line with the sheet's QR code`,
    );
    const altered = `${wrapped.slice(0, -2)}${wrapped.endsWith("AA") ? "BB" : "AA"}`;
    expect(
      (
        await call(fresh, "POST", "/api/v1/encryption-keys/import", {
          name: "x",
          wrapped: altered,
          passphrase: PASSPHRASE,
        })
      ).status,
    ).toBe(400);
    const ok = await call<Key>(fresh, "POST", "/api/v1/encryption-keys/import", {
      name: "from the safe",
      wrapped,
      passphrase: PASSPHRASE,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.fingerprint).toBe(second.fingerprint);
    const again = await call(fresh, "POST", "/api/v1/encryption-keys/import", {
      name: "twice",
      wrapped,
      passphrase: PASSPHRASE,
    });
    expect(again.status).toBe(409);
  }, 60_000);

  it("audits every key change with its fingerprint and never a passphrase or key", async () => {
    const rows = await hub.ctx.db.select().from(auditLogs);
    const actions = rows
      .filter((r) => r.action.startsWith("encryption_key."))
      .map((r) => [r.action, r.outcome]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ["encryption_key.rotate", "success"],
        ["encryption_key.retire", "failure"],
        ["encryption_key.delete", "failure"],
        ["encryption_key.retire", "success"],
        ["encryption_key.delete", "success"],
        ["encryption_key.export", "success"],
      ]),
    );
    const text = JSON.stringify(rows);
    expect(text).not.toContain(PASSPHRASE);
    expect(text).not.toContain(wrapped);
    const importRows = await fresh.ctx.db.select().from(auditLogs);
    expect(importRows.filter((r) => r.action === "encryption_key.import").map((r) => r.outcome)).toEqual([
      "failure",
      "failure",
      "success",
      "failure",
    ]);
  });
});

describe("rotating without a name", () => {
  it("two rotations in the same second each make a key, the second numbered, instead of a duplicate-name refusal", async () => {
    const hub = await createTestHub();
    try {
      const token = await hub.tokenFor("admin");
      const rotate = async (poolId: number) =>
        hub.request(`/api/v1/pools/${poolId}/rotate-key`, { method: "POST", token, json: {} });
      const pool = (await (
        await hub.request("/api/v1/pools", { method: "POST", token, json: { name: "Fast" } })
      ).json()) as { id: number };
      // The hub's clock is held still, so both rotations fall in one second.
      const frozen = hub.ctx.now();
      hub.ctx.now = () => frozen;
      hub.deps.now = () => frozen;
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await rotate(pool.id);
        expect(res.status).toBe(200);
        names.push(((await res.json()) as { key: Key }).key.name);
      }
      const base = `Fast ${frozen.toISOString().slice(0, 19).replace("T", " ")}`;
      expect(names).toEqual([base, `${base} #2`, `${base} #3`]);
    } finally {
      await hub.close();
    }
  });
});

describe("the Keys page's rotate, retire and delete", () => {
  it("an admin rotates a pool's key, is refused a retire with the needing set named, and retires and deletes a key no set needs; each audited", async () => {
    const hub = await createTestHub();
    try {
      const admin = await hub.tokenFor("admin");
      const operator = await hub.tokenFor("operator");
      const pool = await hub.requestJson<{ id: number }>("/api/v1/pools", {
        method: "POST",
        token: admin,
        json: { name: "Shelf" },
      });
      const page = async (token: string) => (await hub.request("/keys", { token })).text();
      expect(await page(admin)).toContain(`hx-post="/pools/${pool.id}/rotate-key"`);
      expect(await page(operator)).not.toContain("rotate-key");

      const first = await hub.postForm(`/pools/${pool.id}/rotate-key`, {}, admin);
      expect(first.status).toBe(200);
      const [key] = (await hub.requestJson<{ items: Key[] }>("/api/v1/encryption-keys", { token: admin }))
        .items;
      expect(await first.text()).toContain(`now writes with key ${key?.name} (${key?.fingerprint})`);
      await hub.postForm(`/pools/${pool.id}/rotate-key`, {}, admin);
      const setId = await insertSet(hub, {
        encryption: "aes-256-gcm",
        encryptionKeyFingerprint: key?.fingerprint as string,
        poolId: pool.id,
      });
      const [tape] = await hub.ctx.db
        .insert(tapes)
        .values({
          barcode: "PAGE01L9",
          uuid: crypto.randomUUID(),
          poolId: pool.id,
          state: "full",
          createdAt: new Date(),
          updatedAt: new Date(),
        })
        .returning();
      await hub.ctx.db
        .insert(backupSetSegments)
        .values({ setId, sequence: 0, tapeId: tape?.id as number, fileNumber: 1, createdAt: new Date() });
      expect(await page(admin)).toContain(`hx-post="/keys/${key?.id}/retire"`);

      const refused = await hub.postForm(`/keys/${key?.id}/retire`, {}, admin);
      expect(refused.status).toBe(409);
      expect(await refused.text()).toContain(`#${setId}`);
      await hub.ctx.db.update(tapes).set({ state: "expired" }).where(eq(tapes.barcode, "PAGE01L9"));
      const retired = await hub.postForm(`/keys/${key?.id}/retire`, {}, admin);
      expect(await retired.text()).toContain(`Key ${key?.name} is retired`);
      expect(await page(admin)).toContain(`hx-post="/keys/${key?.id}/delete"`);
      expect((await hub.postForm(`/keys/${key?.id}/delete`, {}, admin)).status).toBe(200);
      expect((await hub.postForm(`/keys/${key?.id}/retire`, {}, operator)).status).toBe(403);

      const actions = (await hub.ctx.db.select().from(auditLogs))
        .filter((r) => r.action.startsWith("encryption_key."))
        .map((r) => `${r.action} ${r.outcome}`);
      expect(actions).toEqual(
        expect.arrayContaining([
          "encryption_key.rotate success",
          "encryption_key.retire failure",
          "encryption_key.retire success",
          "encryption_key.delete success",
        ]),
      );
    } finally {
      await hub.close();
    }
  });
});
