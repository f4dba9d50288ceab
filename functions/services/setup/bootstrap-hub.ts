import { count } from "drizzle-orm";
import type { Config } from "../../config.ts";
import { users } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { randomToken } from "../../security/crypto.ts";
import { hashPassword } from "../../security/passwords.ts";
import { type SecretSources, settleHubSecrets } from "./hub-secrets.ts";

export interface BootstrapResult {
  secrets: HubSecrets;
  /** What the secrets' settling changed or wants the operator to know; the entry logs them. */
  notices: string[];
  /** Plaintext rows of an older hub this start moved out of the catalog. */
  moved: string[];
  /** Set when this start created the first admin; the password is shown once if it was generated. */
  createdAdmin?: { username: string; generatedPassword?: string };
}

/**
 * Idempotent start-up shared by every hub instance: the hub's private keys from config or the
 * runtime's store, never the catalog (settleHubSecrets), and the first admin when there is no
 * user at all.
 */
export async function bootstrapHub(
  ctx: ServiceCtx,
  config: Config,
  sources: SecretSources,
): Promise<BootstrapResult> {
  const result: BootstrapResult = await settleHubSecrets(ctx, config, sources);

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
