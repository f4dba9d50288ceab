import { count, eq } from "drizzle-orm";
import type { Config } from "../../config.ts";
import { settings, users } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { base64url, randomBytes, randomToken } from "../../security/crypto.ts";
import { hashPassword } from "../../security/passwords.ts";

const SESSION_KEY_SETTING = "hub.session_key";

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
    : await sharedSessionKey(ctx);
  const result: BootstrapResult = { secrets: { sessionKey } };

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

async function sharedSessionKey(ctx: ServiceCtx): Promise<Uint8Array> {
  await ctx.db
    .insert(settings)
    .values({
      key: SESSION_KEY_SETTING,
      value: base64url(randomBytes(32)),
      secret: true,
      updatedAt: ctx.now(),
    })
    .onConflictDoNothing();
  const stored = await ctx.db.query.settings.findFirst({ where: eq(settings.key, SESSION_KEY_SETTING) });
  const encoded = String(stored?.value ?? "");
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
