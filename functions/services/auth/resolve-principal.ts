import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { apiKeys, sessions, userSiteRoles, users } from "../../db/schema/index.ts";
import type { HubSecrets, Principal, ServiceCtx } from "../../deps.ts";
import { parseApiKey } from "../../security/api-key.ts";
import { sha256Hex, timingSafeEqual } from "../../security/crypto.ts";
import { lesserRole, roleCovers } from "../../security/permissions.ts";
import { looksLikeJwt, verifySessionToken } from "../../security/session-token.ts";
import { preparedPerDb } from "../shared/prepared-per-db.ts";

/** Only the columns a principal needs: this runs on every authenticated request, prepared once. */
const sessionLookup = preparedPerDb((db) =>
  db
    .select({ userId: users.id, username: users.username, role: users.role, disabled: users.disabled })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sql.placeholder("sessionId")),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder("now")),
      ),
    )
    .prepare(),
);

/** Refreshing last_used_at at most this often keeps API key use from writing on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Finds who is calling from a session token (cookie or bearer) or an API key; null when none is valid. */
export async function resolvePrincipal(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  credential: { token: string; via: "cookie" | "bearer" | "x-api-key" },
): Promise<Principal | null> {
  // X-API-Key (upstream's monitor clients) carries API keys only, never a session.
  if (credential.via === "x-api-key") return resolveApiKey(ctx, credential.token);
  if (credential.via === "bearer" && !looksLikeJwt(credential.token))
    return resolveApiKey(ctx, credential.token);
  const claims = await verifySessionToken(secrets.sessionKey, credential.token, ctx.now());
  if (!claims) return null;
  const [row] = await sessionLookup(ctx.db).all({
    sessionId: claims.sessionId,
    now: ctx.now().getTime(),
  });
  if (!row || row.disabled || row.userId !== claims.userId) return null;
  return withSiteRoles(ctx, {
    userId: row.userId,
    username: row.username,
    role: row.role,
    via: credential.via,
    sessionId: claims.sessionId,
  });
}

/**
 * A user with site roles holds them at those sites only, never above their own (or their API
 * key's) role; an admin is never site-scoped.
 */
async function withSiteRoles(ctx: ServiceCtx, principal: Principal): Promise<Principal> {
  if (principal.role === "admin") return principal;
  const rows = await ctx.db
    .select({ siteId: userSiteRoles.siteId, role: userSiteRoles.role })
    .from(userSiteRoles)
    .where(eq(userSiteRoles.userId, principal.userId));
  if (rows.length === 0) return principal;
  const siteRoles = rows.map((r) => ({
    siteId: r.siteId,
    role: roleCovers(principal.role, r.role) ? r.role : principal.role,
  }));
  return { ...principal, siteRoles };
}

async function resolveApiKey(ctx: ServiceCtx, key: string): Promise<Principal | null> {
  const parsed = parseApiKey(key);
  if (!parsed) return null;
  const [row] = await ctx.db
    .select({ key: apiKeys, user: users })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.prefix, parsed.prefix), isNull(apiKeys.revokedAt)));
  if (!row || row.user.disabled) return null;
  if (!timingSafeEqual(row.key.keyHash, await sha256Hex(key))) return null;
  const now = ctx.now();
  if (row.key.expiresAt && row.key.expiresAt <= now) return null;
  if (!row.key.lastUsedAt || now.getTime() - row.key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await ctx.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.key.id));
  }
  return withSiteRoles(ctx, {
    userId: row.user.id,
    username: row.user.username,
    role: lesserRole(row.key.role, row.user.role),
    via: "api-key",
    apiKeyId: row.key.id,
  });
}
