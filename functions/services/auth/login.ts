import { and, count, eq, gte, min } from "drizzle-orm";
import { z } from "zod";
import type { Config } from "../../config.ts";
import { auditLogs, sessions, users } from "../../db/schema/index.ts";
import type { HubSecrets, PasswordHasher, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { randomToken } from "../../security/crypto.ts";
import { decoyHash, inlinePasswords, verifyPassword } from "../../security/passwords.ts";
import { signSessionToken } from "../../security/session-token.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { toPublicUser } from "../users/to-public-user.ts";

export const loginInput = z.object({
  username: z.string().trim().toLowerCase().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export interface LoginRequest {
  input: z.output<typeof loginInput>;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

const LOGIN = "auth.login";
let decoy: Promise<string> | undefined;

/**
 * Checks the rate limits, then the password; writes an audit row for every attempt.
 * Failures are counted from the audit log itself, so the limit holds across hub instances.
 */
export async function login(
  ctx: ServiceCtx,
  config: Config,
  secrets: HubSecrets,
  req: LoginRequest,
  passwords: PasswordHasher = inlinePasswords,
) {
  const { username, password } = req.input;
  const audit = (
    outcome: "success" | "failure" | "denied",
    userId: number | null,
    details: Record<string, unknown>,
  ) =>
    recordAudit(ctx, {
      userId,
      actor: username,
      action: LOGIN,
      target: username,
      outcome,
      ip: req.ip,
      requestId: req.requestId,
      details,
    });

  const retryAfter = await secondsUntilAllowed(ctx, config, username, req.ip);
  if (retryAfter > 0) {
    await audit("denied", null, { reason: "rate_limited" });
    throw new AppError(
      "rate_limited",
      `Too many failed sign-ins; try again in ${retryAfter} s`,
      { retryAfterSeconds: retryAfter },
      {
        "Retry-After": String(retryAfter),
      },
    );
  }

  const user = await ctx.db.query.users.findFirst({ where: eq(users.username, username) });
  decoy ??= decoyHash(config.BCRYPT_COST, passwords);
  const valid = await verifyPassword(password, user?.passwordHash ?? (await decoy), passwords);
  if (!user || !valid || user.disabled) {
    await audit("failure", user?.id ?? null, {
      reason: user?.disabled && valid ? "disabled" : "bad_credentials",
    });
    throw new AppError("invalid_credentials", "Wrong username or password");
  }

  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + config.SESSION_TTL_HOURS * 3600_000);
  const sessionId = randomToken(18);
  await ctx.db.batch([
    ctx.db.insert(sessions).values({
      id: sessionId,
      userId: user.id,
      createdAt: now,
      expiresAt,
      ip: req.ip,
      userAgent: req.userAgent?.slice(0, 256) ?? null,
    }),
    ctx.db.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id)),
  ]);
  await audit("success", user.id, {});
  const token = await signSessionToken(secrets.sessionKey, { sessionId, userId: user.id }, expiresAt);
  return { token, sessionId, expiresAt, user: toPublicUser(user) };
}

async function secondsUntilAllowed(
  ctx: ServiceCtx,
  config: Config,
  username: string,
  ip: string | null,
): Promise<number> {
  const windowMs = config.LOGIN_WINDOW_MINUTES * 60_000;
  const since = new Date(ctx.now().getTime() - windowMs);
  const failures = (column: typeof auditLogs.target | typeof auditLogs.ip, value: string) =>
    ctx.db
      .select({ n: count(), oldest: min(auditLogs.at) })
      .from(auditLogs)
      .where(
        and(
          eq(auditLogs.action, LOGIN),
          eq(column, value),
          gte(auditLogs.at, since),
          eq(auditLogs.outcome, "failure"),
        ),
      );
  const checks: [Promise<{ n: number; oldest: Date | null }[]>, number][] = [
    [failures(auditLogs.target, username), config.LOGIN_MAX_FAILURES_PER_USER],
  ];
  if (ip) checks.push([failures(auditLogs.ip, ip), config.LOGIN_MAX_FAILURES_PER_IP]);
  let wait = 0;
  for (const [query, limit] of checks) {
    const [row] = await query;
    if (row && row.n >= limit && row.oldest) {
      const until = new Date(row.oldest).getTime() + windowMs;
      wait = Math.max(wait, Math.ceil((until - ctx.now().getTime()) / 1000));
    }
  }
  return wait;
}
