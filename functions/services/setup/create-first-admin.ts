import { count } from "drizzle-orm";
import type { Config } from "../../config.ts";
import { users } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { randomToken } from "../../security/crypto.ts";
import { hashPassword } from "../../security/passwords.ts";

export interface CreatedAdmin {
  username: string;
  /** Set when no TAPEBACKARR_ADMIN_PASSWORD was given: shown once, then only its hash is kept. */
  generatedPassword?: string;
}

/**
 * The first admin, when the catalog has no user at all. The Node entry calls it only once the
 * hub listens, so a start that fails never prints a password nobody can use.
 */
export async function createFirstAdmin(ctx: ServiceCtx, config: Config): Promise<CreatedAdmin | undefined> {
  const [row] = await ctx.db.select({ n: count() }).from(users);
  if ((row?.n ?? 0) > 0) return undefined;
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
  if (inserted.length === 0) return undefined;
  return { username: "admin", ...(generated ? { generatedPassword: generated } : {}) };
}
