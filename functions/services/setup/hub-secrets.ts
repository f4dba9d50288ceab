import { eq } from "drizzle-orm";
import { calculateJwkThumbprint } from "jose";
import { type Config, ConfigError } from "../../config.ts";
import { settings } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { fromBase64url, randomBytes } from "../../security/crypto.ts";
import { masterKeyCheck } from "../../security/key-wrap.ts";
import {
  generateOrderSigningSeed,
  loadOrderSigningKey,
  type OrderSigningKey,
  seedFromPrivateJwk,
} from "../../security/order-keys.ts";
import { holdsWrappedValues, masterKeyFits, rewrapStatements } from "./master-key.ts";

export const SECRET_NAMES = ["orderSigningKey", "masterKey", "sessionKey"] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
/** The hub's private values as bytes: a seed, a key, a key (SESSION_SECRET's UTF-8 text when configured). */
export type SecretValues = Partial<Record<SecretName, Uint8Array>>;

/** Where a runtime keeps the secrets that are not configured: on Node, a file under DATA_DIR. */
export interface SecretStore {
  /** For messages: the file's path. */
  where: string;
  read(): Promise<SecretValues>;
  /** Keeps the values durably; called before the catalog forgets anything. */
  write(values: SecretValues): Promise<void>;
}

export interface SecretSources {
  /** Absent on workerd (no filesystem): then every secret must be configured. */
  store?: SecretStore;
  /** How an operator sets a variable on this runtime, for refusals. */
  howToSet: (variable: string) => string;
}

export const SECRET_VARIABLES: Record<SecretName, string> = {
  orderSigningKey: "ORDER_SIGNING_KEY",
  masterKey: "MASTER_KEY",
  sessionKey: "SESSION_SECRET",
};

/** Rows in which older hubs kept the private values in plaintext; moved out and deleted on start. */
const LEGACY_ROWS: Record<SecretName, string> = {
  orderSigningKey: "hub.order_signing_key",
  masterKey: "hub.master_key",
  sessionKey: "hub.session_key",
};
/** SQL that reads each legacy value in the form its variable takes, for the workerd instructions. */
const LEGACY_READ: Record<SecretName, string> = {
  orderSigningKey: "SELECT json_extract(value, '$.d') FROM settings WHERE key = 'hub.order_signing_key'",
  masterKey: "SELECT json_extract(value, '$') FROM settings WHERE key = 'hub.master_key'",
  sessionKey: "",
};
/** What the catalog keeps instead: public facts only. */
export const PUBLIC_KEY_ROW = "hub.order_signing_public_key";
export const MASTER_CHECK_ROW = "hub.master_key_check";

export interface SettledSecrets {
  secrets: HubSecrets;
  /** What this start changed or the operator should know, for the entry to log as warnings. */
  notices: string[];
  /** Legacy rows deleted from the catalog by this start. */
  moved: string[];
}

/**
 * Gives the hub its private keys, keeping them out of the catalog: each comes from its variable,
 * else the store, else (once, to move it out) an older hub's plaintext row, else is generated on
 * a new catalog. The catalog keeps the signing key's public half (agents pin it) and a check of
 * the master key (it wraps stored keys), so a hub started with other keys refuses at once.
 */
export async function settleHubSecrets(
  ctx: ServiceCtx,
  config: Config,
  sources: SecretSources,
): Promise<SettledSecrets> {
  const configured = configuredSecrets(config);
  const { store } = sources;
  if (!store) {
    // workerd: a legacy row cannot be moved anywhere, so it is never adopted (it would stay in
    // the catalog); the operator copies it into a secret as the message says, then it is deleted.
    const missing = SECRET_NAMES.filter((name) => !configured[name]);
    if (missing.length > 0) {
      // The catalog only tailors the message: an unmigrated or unreachable one must not hide it.
      const rows = await readRows(ctx).catch(() => ({ legacy: {} }));
      throw new ConfigError(missingSecretsMessage(missing, rows, sources));
    }
  }
  const rows = await readRows(ctx);
  const stored = store ? await store.read() : {};
  const found: Found = { configured, stored, rows, store };
  const notices: string[] = [];
  const from = (name: SecretName) => configured[name] ?? stored[name] ?? rows.legacy[name];

  const seed = from("orderSigningKey") ?? (await newSigningSeed(found));
  const orderKey = await pinnedSigningKey(seed, found);
  const { masterKey, rotateFrom } = await catalogMasterKey(ctx, config, from("masterKey"), found);
  if (!rotateFrom && config.MASTER_KEY_PREVIOUS)
    notices.push("MASTER_KEY_PREVIOUS is set but the master key is already the current one: remove it");
  const sessionKey = from("sessionKey") ?? randomBytes(32);
  const values = { orderSigningKey: seed, masterKey, sessionKey };

  if (store) {
    // The store first: a crash after it leaves the legacy rows to be moved again, never lost.
    const keep: SecretValues = { ...stored };
    for (const name of SECRET_NAMES) if (!configured[name]) keep[name] = values[name];
    // After a rotation the file's old master key would only mislead whoever restores from it.
    if (rotateFrom && stored.masterKey) keep.masterKey = masterKey;
    if (SECRET_NAMES.some((name) => !sameBytes(keep[name], stored[name]))) {
      await store.write(keep);
      for (const name of SECRET_NAMES)
        if (!stored[name] && keep[name])
          notices.push(
            rows.legacy[name]
              ? `Moved ${LEGACY_ROWS[name]} out of the catalog into ${store.where}; back that file up apart from the catalog`
              : `Created the hub's ${LABELS[name]} in ${store.where}; back that file up apart from the catalog`,
          );
    }
  }

  const check = await masterKeyCheck(masterKey);
  const legacyKeys = SECRET_NAMES.filter((name) => rows.legacy[name]).map((name) => LEGACY_ROWS[name]);
  await publish(ctx, {
    orderKey,
    check,
    rotate: !!rotateFrom,
    legacyKeys,
    rewrap: rotateFrom ? await rewrapStatements(ctx, rotateFrom, masterKey) : [],
  });
  if (rotateFrom)
    notices.push(
      "Re-wrapped every stored key with the new master key; remove MASTER_KEY_PREVIOUS and keep the new key's backup",
    );
  if (legacyKeys.length > 0)
    notices.push(
      `Deleted ${legacyKeys.join(", ")} from the catalog; older backups of the catalog still hold them (docs/operator-guide.md, Hub secrets)`,
    );
  return { secrets: { orderKey, masterKey, sessionKey }, notices, moved: legacyKeys };
}

/** What settling found: configured values, the store's, and the catalog's rows. */
interface Found {
  configured: SecretValues;
  stored: SecretValues;
  rows: Awaited<ReturnType<typeof readRows>>;
  store: SecretStore | undefined;
}

const LABELS: Record<SecretName, string> = {
  orderSigningKey: "order-signing key",
  masterKey: "master key",
  sessionKey: "session key",
};

/** The public key agents of this catalog pin: the published one, or an older hub's row's. */
async function pinnedX(found: Found): Promise<string | undefined> {
  const legacy = found.rows.legacy.orderSigningKey;
  return found.rows.publicX ?? (legacy && (await loadOrderSigningKey(legacy)).publicJwk.x);
}

/** A new signing key, only for a catalog whose agents pin none yet. */
async function newSigningSeed(found: Found): Promise<Uint8Array> {
  const pinned = await pinnedX(found);
  if (pinned)
    throw new ConfigError(
      `This catalog's agents pin the order-signing key ${await thumbprint(pinned)}, but this hub does not have it. ` +
        `Give it in ${whereToGive(found)}ORDER_SIGNING_KEY, as on the hub that created the catalog.`,
    );
  return generateOrderSigningSeed();
}

/** The signing key, refused unless it is the one the catalog's agents pin. */
async function pinnedSigningKey(seed: Uint8Array, found: Found): Promise<OrderSigningKey> {
  const orderKey = await loadOrderSigningKey(seed);
  const pinned = await pinnedX(found);
  if (pinned && orderKey.publicJwk.x !== pinned)
    throw new ConfigError(
      `The order-signing key from ${sourceOf("orderSigningKey", found)} (${await thumbprint(orderKey.publicJwk.x)}) ` +
        `is not the one this catalog's agents pin (${await thumbprint(pinned)}); they would refuse every order. ` +
        "Give the pinned key, or re-enroll the agents (docs/operator-guide.md, Hub secrets).",
    );
  return orderKey;
}

/**
 * The master key, refused unless it opens what the catalog holds; with MASTER_KEY_PREVIOUS
 * opening it instead, the key to re-wrap from. A new one only for a catalog with nothing wrapped.
 */
async function catalogMasterKey(
  ctx: ServiceCtx,
  config: Config,
  given: Uint8Array | undefined,
  found: Found,
): Promise<{ masterKey: Uint8Array; rotateFrom?: Uint8Array }> {
  const { rows } = found;
  if (!given && (rows.masterCheck || (await holdsWrappedValues(ctx))))
    throw new ConfigError(
      `This catalog holds encryption keys wrapped by a master key this hub does not have. Give it in ${whereToGive(found)}MASTER_KEY.`,
    );
  const masterKey = given ?? randomBytes(32);
  if (await masterKeyFits(ctx, masterKey, rows.masterCheck)) return { masterKey };
  const previous = config.MASTER_KEY_PREVIOUS ? fromBase64url(config.MASTER_KEY_PREVIOUS) : undefined;
  if (previous && (await masterKeyFits(ctx, previous, rows.masterCheck)))
    return { masterKey, rotateFrom: previous };
  const legacyFits = rows.legacy.masterKey && (await masterKeyFits(ctx, rows.legacy.masterKey, undefined));
  throw new ConfigError(
    `The master key from ${sourceOf("masterKey", found)} does not open the encryption keys in this catalog` +
      (legacyFits
        ? `; the catalog's old row ${LEGACY_ROWS.masterKey} does: give that value instead.`
        : ". Give the master key this catalog was used with; to change it, give the old one in MASTER_KEY_PREVIOUS."),
  );
}

function whereToGive(found: Found): string {
  return found.store ? `${found.store.where} or ` : "";
}

/** The configured values as bytes; SESSION_SECRET is text and keyed as its UTF-8 bytes, as always. */
function configuredSecrets(config: Config): SecretValues {
  return {
    ...(config.ORDER_SIGNING_KEY ? { orderSigningKey: fromBase64url(config.ORDER_SIGNING_KEY) } : {}),
    ...(config.MASTER_KEY ? { masterKey: fromBase64url(config.MASTER_KEY) } : {}),
    ...(config.SESSION_SECRET ? { sessionKey: new TextEncoder().encode(config.SESSION_SECRET) } : {}),
  };
}

async function readRows(ctx: ServiceCtx) {
  const all = await ctx.db.select().from(settings);
  const value = (key: string) => all.find((row) => row.key === key)?.value;
  const legacy: SecretValues = {};
  const order = seedFromPrivateJwk(value(LEGACY_ROWS.orderSigningKey));
  if (order) legacy.orderSigningKey = order;
  for (const name of ["masterKey", "sessionKey"] as const) {
    const raw = value(LEGACY_ROWS[name]);
    if (typeof raw === "string") legacy[name] = fromBase64url(raw);
  }
  const publicJwk = value(PUBLIC_KEY_ROW) as { x?: string } | undefined;
  const check = value(MASTER_CHECK_ROW);
  return {
    legacy,
    publicX: publicJwk?.x,
    masterCheck: typeof check === "string" ? check : undefined,
  };
}

/**
 * One batch: the public key and the check (insert if absent, so racing first starts agree on
 * one), the re-wrap of a rotation, and the deletion of the plaintext rows.
 */
async function publish(
  ctx: ServiceCtx,
  change: {
    orderKey: OrderSigningKey;
    check: string;
    rotate: boolean;
    legacyKeys: string[];
    rewrap: Awaited<ReturnType<typeof rewrapStatements>>;
  },
): Promise<void> {
  const updatedAt = ctx.now();
  const checkRow = { key: MASTER_CHECK_ROW, value: change.check, secret: false, updatedAt };
  await ctx.db.batch([
    ctx.db
      .insert(settings)
      .values({ key: PUBLIC_KEY_ROW, value: change.orderKey.publicJwk, secret: false, updatedAt })
      .onConflictDoNothing(),
    change.rotate
      ? ctx.db
          .insert(settings)
          .values(checkRow)
          .onConflictDoUpdate({ target: settings.key, set: { value: change.check, updatedAt } })
      : ctx.db.insert(settings).values(checkRow).onConflictDoNothing(),
    ...change.rewrap,
    ...change.legacyKeys.map((key) => ctx.db.delete(settings).where(eq(settings.key, key))),
  ]);
  const after = await readRows(ctx);
  if (after.publicX !== change.orderKey.publicJwk.x || after.masterCheck !== change.check)
    throw new ConfigError(
      "Another hub started on this catalog at the same moment with other keys; give every hub the same secrets and start again.",
    );
}

function missingSecretsMessage(
  missing: SecretName[],
  rows: { legacy: SecretValues },
  sources: SecretSources,
): string {
  const lines = missing.map((name) => {
    const variable = SECRET_VARIABLES[name];
    if (rows.legacy[name] && name === "sessionKey")
      return `  ${variable}: the catalog's old session key cannot be carried over; set a new random text of at least 32 characters (users sign in again once): ${sources.howToSet(variable)}`;
    if (rows.legacy[name])
      return `  ${variable}: the catalog still holds it in plaintext; read it with ${LEGACY_READ[name]} (e.g. wrangler d1 execute DB --remote --command "…") and set it: ${sources.howToSet(variable)}`;
    return `  ${variable}: ${sources.howToSet(variable)}`;
  });
  const legacy = SECRET_NAMES.some((name) => rows.legacy[name])
    ? " Once they are set, the hub deletes the catalog's plaintext copies on its next start."
    : "";
  return `Missing hub secrets (they are never kept in the catalog):\n${lines.join("\n")}\nEach but SESSION_SECRET is 32 random bytes in base64url: openssl rand 32 | basenc --base64url | tr -d = (or node scripts/hub-secrets.ts prints all three).${legacy}`;
}

function sourceOf(name: SecretName, found: Found): string {
  if (found.configured[name]) return SECRET_VARIABLES[name];
  if (found.stored[name] && found.store) return found.store.where;
  return `the catalog's ${LEGACY_ROWS[name]}`;
}

async function thumbprint(x: string): Promise<string> {
  return calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x }, "sha256");
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
