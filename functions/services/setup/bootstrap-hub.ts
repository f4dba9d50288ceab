import { count, eq } from "drizzle-orm";
import type { JWK } from "jose";
import type { Config } from "../../config.ts";
import { settings, users } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { base64url, randomBytes, randomToken } from "../../security/crypto.ts";
import { generateOrderSigningJwk, loadOrderSigningKey } from "../../security/order-keys.ts";
import { hashPassword } from "../../security/passwords.ts";

const SESSION_KEY_SETTING = "hub.session_key";
const ORDER_KEY_SETTING = "hub.order_signing_key";
const MASTER_KEY_SETTING = "hub.master_key";

export interface BootstrapResult {
  secrets: HubSecrets;
  /** Set when this start created the first admin; the password is shown once if it was generated. */
  createdAdmin?: { username: string; generatedPassword?: string };
}

/**
 * Idempotent first-start setup shared by every hub instance: the session signing key lives in
 * the catalog (unless SESSION_SECRET is given) so all instances agree on it, and the first
 * admin is created when there is no user at all.
 */
export async function bootstrapHub(ctx: ServiceCtx, config: Config): Promise<BootstrapResult> {
  const sessionKey = config.SESSION_SECRET
    ? new TextEncoder().encode(config.SESSION_SECRET)
    : fromBase64url(await sharedSetting(ctx, SESSION_KEY_SETTING, async () => base64url(randomBytes(32))));
  const masterKey = config.MASTER_KEY
    ? fromBase64url(config.MASTER_KEY)
    : fromBase64url(await sharedSetting(ctx, MASTER_KEY_SETTING, async () => base64url(randomBytes(32))));
  const orderJwk = await sharedSetting(ctx, ORDER_KEY_SETTING, generateOrderSigningJwk);
  const orderKey = await loadOrderSigningKey(orderJwk as JWK);
  const result: BootstrapResult = { secrets: { sessionKey, masterKey, orderKey } };

  const [row] = await ctx.db.select({ n: count() }).from(users);
  if ((row?.n ?? 0) === 0) {
    const generated = config.TAPEBACKARR_ADMIN_PASSWORD ? undefined : randomToken(15);
    const password = config.TAPEBACKARR_ADMIN_PASSWORD ?? (generated as string);
    const now = ctx.now();
    const inserted = await ctx.db
      .insert(users)
      .values({
        username: "admin",
        passwordHash: await hashPassword(password, config.BCRYPT_COST),
        role: "admin",
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: users.id });
    // Another instance may have won the race; then it printed the password, not us.
    if (inserted.length > 0)
      result.createdAdmin = { username: "admin", ...(generated ? { generatedPassword: generated } : {}) };
  }
  return result;
}

/** Inserts the value if no instance has yet, then reads back whichever value won. */
async function sharedSetting<T>(ctx: ServiceCtx, key: string, make: () => Promise<T>): Promise<T> {
  const existing = await ctx.db.query.settings.findFirst({ where: eq(settings.key, key) });
  if (existing) return existing.value as T;
  await ctx.db
    .insert(settings)
    .values({ key, value: await make(), secret: true, updatedAt: ctx.now() })
    .onConflictDoNothing();
  const stored = await ctx.db.query.settings.findFirst({ where: eq(settings.key, key) });
  return stored?.value as T;
}

function fromBase64url(encoded: string): Uint8Array {
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
