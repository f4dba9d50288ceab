import { eq } from "drizzle-orm";
import type { JWK } from "jose";
import type { Config } from "../../config.ts";
import { settings } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { base64url, randomBytes } from "../../security/crypto.ts";
import { generateOrderSigningJwk, loadOrderSigningKey } from "../../security/order-keys.ts";
import { type CreatedAdmin, createFirstAdmin } from "./create-first-admin.ts";

const SESSION_KEY_SETTING = "hub.session_key";
const ORDER_KEY_SETTING = "hub.order_signing_key";
const MASTER_KEY_SETTING = "hub.master_key";

export interface BootstrapResult {
  secrets: HubSecrets;
  /** Set when this start created the first admin; the password is shown once if it was generated. */
  createdAdmin?: CreatedAdmin;
}

/**
 * Idempotent first-start setup shared by every hub instance: the session signing key lives in
 * the catalog (unless SESSION_SECRET is given) so all instances agree on it, and the first
 * admin is created when there is no user at all.
 */
export async function bootstrapHub(
  ctx: ServiceCtx,
  config: Config,
  /** firstAdmin: false leaves the admin to createFirstAdmin, e.g. once the hub listens. */
  options: { firstAdmin?: boolean } = {},
): Promise<BootstrapResult> {
  const sessionKey = config.SESSION_SECRET
    ? new TextEncoder().encode(config.SESSION_SECRET)
    : fromBase64url(await sharedSetting(ctx, SESSION_KEY_SETTING, async () => base64url(randomBytes(32))));
  const masterKey = config.MASTER_KEY
    ? fromBase64url(config.MASTER_KEY)
    : fromBase64url(await sharedSetting(ctx, MASTER_KEY_SETTING, async () => base64url(randomBytes(32))));
  const orderJwk = await sharedSetting(ctx, ORDER_KEY_SETTING, generateOrderSigningJwk);
  const orderKey = await loadOrderSigningKey(orderJwk as JWK);
  const result: BootstrapResult = { secrets: { sessionKey, masterKey, orderKey } };

  if (options.firstAdmin === false) return result;
  const createdAdmin = await createFirstAdmin(ctx, config);
  if (createdAdmin) result.createdAdmin = createdAdmin;
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
