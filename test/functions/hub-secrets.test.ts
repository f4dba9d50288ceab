import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../functions/config.ts";
import { migrateCatalog, openCatalog } from "../../functions/db/client-node.ts";
import { notificationChannels, settings } from "../../functions/db/schema/index.ts";
import type { ServiceCtx } from "../../functions/deps.ts";
import { keyFileStore } from "../../functions/security/key-file-node.ts";
import { unwrapKey } from "../../functions/security/key-wrap.ts";
import { createEncryptionKey } from "../../functions/services/encryption-keys/create-encryption-key.ts";
import { revealDataKey } from "../../functions/services/encryption-keys/reveal-data-key.ts";
import {
  channelSecretPurpose,
  telegramChannelInput,
} from "../../functions/services/settings/notification-channel-input.ts";
import { saveTelegramChannel } from "../../functions/services/settings/save-telegram-channel.ts";
import {
  PUBLIC_KEY_ROW,
  type SecretSources,
  settleHubSecrets,
} from "../../functions/services/setup/hub-secrets.ts";
import { createSource } from "../../functions/services/sources/create-source.ts";
import { revealPveToken } from "../../functions/services/sources/reveal-pve-token.ts";
import { setPveToken } from "../../functions/services/sources/set-pve-token.ts";
import { readKeyFile, seedLegacySecrets } from "../helpers/hub-secrets.ts";

const BOT_TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh";
const PVE_SECRET = "5f0c2a8e-6a3b-4f9e-9c1d-2b7e8a4f6c10";
const fresh = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

describe("the hub's secrets (settleHubSecrets) on a real catalog", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  /** A migrated libSQL file in a temp dir, and a key-file store in a dir of its own per call. */
  async function catalog() {
    const dir = mkdtempSync(join(tmpdir(), "tb-hub-secrets-"));
    const url = `file:${join(dir, "tapebackarr.db")}`;
    const opened = openCatalog(url);
    await migrateCatalog(opened, url);
    cleanups.push(() => {
      opened.client.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const ctx: ServiceCtx = { db: opened.db, now: () => new Date() };
    const hubDir = (name: string) => join(dir, name);
    const node = (name = "hub-a"): SecretSources => ({
      store: keyFileStore(hubDir(name), () => undefined),
      howToSet: (variable) => `set ${variable}`,
    });
    const worker: SecretSources = { howToSet: (variable) => `wrangler secret put ${variable}` };
    const settle = (sources: SecretSources, env: Record<string, string> = {}) =>
      settleHubSecrets(ctx, parseConfig({ DATA_DIR: dir, ...env }), sources);
    return { ctx, hubDir, node, worker, settle };
  }

  it("refuses a configured signing key other than the one the catalog's agents pin", async () => {
    const { node, settle } = await catalog();
    await settle(node());
    await expect(settle(node(), { ORDER_SIGNING_KEY: fresh() })).rejects.toThrow(
      /The order-signing key from ORDER_SIGNING_KEY \(\S+\) is not the one this catalog's agents pin/,
    );
  });

  it("refuses a second hub that has none of the catalog's keys instead of making new ones", async () => {
    const { hubDir, node, settle } = await catalog();
    await settle(node("hub-a"));
    await expect(settle(node("hub-b"))).rejects.toThrow(
      `but this hub does not have it. Give it in ${join(hubDir("hub-b"), "hub-secrets.json")} or ORDER_SIGNING_KEY`,
    );
    const { orderSigningKey } = readKeyFile(hubDir("hub-a"));
    await expect(settle(node("hub-b"), { ORDER_SIGNING_KEY: orderSigningKey })).rejects.toThrow(
      "This catalog holds encryption keys wrapped by a master key this hub does not have",
    );
  });

  it("refuses a master key that does not open the stored keys, and re-wraps them all (PVE token secrets too) when the old one is given as MASTER_KEY_PREVIOUS", async () => {
    const { ctx, hubDir, node, settle } = await catalog();
    const first = await settle(node());
    const vault = await createEncryptionKey(ctx, first.secrets, { name: "vault" });
    const before = await revealDataKey(ctx, first.secrets, vault.id);
    await saveTelegramChannel(
      ctx,
      first.secrets,
      telegramChannelInput.parse({ enabled: true, chatId: "-100123", botToken: BOT_TOKEN }),
    );
    const pve = await createSource(ctx, {
      name: "pve1",
      kind: "proxmox",
      paths: [],
      include: [],
      exclude: [],
      options: { apiUrl: "https://pve1:8006", tokenId: "tapebackarr@pve!tape", node: "pve1" },
    });
    await setPveToken(ctx, first.secrets, pve.id, { secret: PVE_SECRET });
    const oldKey = readKeyFile(hubDir("hub-a")).masterKey;
    const newKey = fresh();

    await expect(settle(node(), { MASTER_KEY: newKey })).rejects.toThrow(
      "The master key from MASTER_KEY does not open the encryption keys in this catalog",
    );
    const rotated = await settle(node(), { MASTER_KEY: newKey, MASTER_KEY_PREVIOUS: oldKey });
    expect(rotated.notices).toContain(
      "Re-wrapped every stored key with the new master key; remove MASTER_KEY_PREVIOUS and keep the new key's backup",
    );
    expect(Buffer.from(rotated.secrets.masterKey).toString("base64url")).toBe(newKey);
    expect((await revealDataKey(ctx, rotated.secrets, vault.id)).key).toEqual(before.key);
    const channel = await ctx.db.query.notificationChannels.findFirst({
      where: eq(notificationChannels.kind, "telegram"),
    });
    const sealed = await unwrapKey(
      rotated.secrets.masterKey,
      channel?.secretConfig as string,
      channelSecretPurpose("telegram"),
    );
    expect(JSON.parse(new TextDecoder().decode(sealed))).toEqual({ botToken: BOT_TOKEN });
    expect(new TextDecoder().decode(await revealPveToken(ctx, rotated.secrets, pve.id))).toBe(PVE_SECRET);
    // The key file no longer holds the old key, so the variables can go.
    expect(readKeyFile(hubDir("hub-a")).masterKey).toBe(newKey);
    const next = await settle(node());
    expect((await revealDataKey(ctx, next.secrets, vault.id)).key).toEqual(before.key);
    await expect(settle(node(), { MASTER_KEY: oldKey })).rejects.toThrow("does not open");
  });

  it("on workerd refuses an older catalog's plaintext rows with the SQL that reads each, then deletes them once the same values are set", async () => {
    const { ctx, worker, settle } = await catalog();
    const old = await seedLegacySecrets(ctx);
    const refusal = await settle(worker).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConfigError);
    const message = (refusal as Error).message;
    expect(message).toContain(
      "ORDER_SIGNING_KEY: the catalog still holds it in plaintext; read it with SELECT json_extract(value, '$.d') FROM settings WHERE key = 'hub.order_signing_key'",
    );
    expect(message).toContain("SELECT json_extract(value, '$') FROM settings WHERE key = 'hub.master_key'");
    expect(message).toContain("SESSION_SECRET: the catalog's old session key cannot be carried over");
    for (const name of ["ORDER_SIGNING_KEY", "MASTER_KEY", "SESSION_SECRET"])
      expect(message).toContain(`wrangler secret put ${name}`);
    expect(await ctx.db.query.settings.findMany()).toHaveLength(3);

    const session = "a-new-session-secret-of-at-least-32-chars";
    await expect(
      settle(worker, { ORDER_SIGNING_KEY: fresh(), MASTER_KEY: old.masterKey, SESSION_SECRET: session }),
    ).rejects.toThrow("is not the one this catalog's agents pin");
    const settled = await settle(worker, {
      ORDER_SIGNING_KEY: old.d,
      MASTER_KEY: old.masterKey,
      SESSION_SECRET: session,
    });
    expect(settled.secrets.orderKey.publicJwk).toEqual(old.publicJwk);
    expect(settled.moved).toEqual(["hub.order_signing_key", "hub.master_key", "hub.session_key"]);
    const rows = await ctx.db.select().from(settings).orderBy(settings.key);
    expect(rows.map((row) => row.key)).toEqual(["hub.master_key_check", PUBLIC_KEY_ROW]);
    expect(JSON.stringify(rows)).not.toContain(old.d);
  });
});
