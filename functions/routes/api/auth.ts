import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../deps.ts";
import { SESSION_COOKIE } from "../../middleware/authenticate.ts";
import { csrfTokenFor } from "../../security/csrf.ts";
import { login, loginInput } from "../../services/auth/login.ts";
import { revokeSession } from "../../services/auth/revoke-session.ts";
import { getUser } from "../../services/users/get-user.ts";
import { principalOf, serviceCtx } from "./context.ts";
import type { ApiRouter } from "./router.ts";

/** Signs in and sets the session cookie; shared by the JSON API and the login page. */
export async function signIn(c: Context<AppEnv>, input: { username: string; password: string }) {
  const { config, secrets, passwords } = c.get("deps");
  const session = await login(
    serviceCtx(c),
    config,
    secrets,
    {
      input,
      ip: c.get("clientIp") ?? null,
      userAgent: c.req.header("user-agent") ?? null,
      requestId: c.get("requestId"),
    },
    passwords,
  );
  setCookie(c, SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: config.SECURE_COOKIES,
    path: "/",
    expires: session.expiresAt,
  });
  return session;
}

export async function signOut(c: Context<AppEnv>): Promise<void> {
  const principal = principalOf(c);
  if (principal.sessionId) await revokeSession(serviceCtx(c), principal.sessionId);
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

export function registerAuthRoutes(api: ApiRouter): void {
  api.route(
    {
      method: "POST",
      path: "/auth/login",
      permission: "public",
      tag: "auth",
      summary: "Sign in; returns a session token (also set as an HttpOnly cookie)",
      body: loginInput,
      audit: false,
    },
    async (c, { body }) => {
      const session = await signIn(c, body);
      return c.json({ token: session.token, expiresAt: session.expiresAt, user: session.user });
    },
  );
  api.route(
    {
      method: "POST",
      path: "/auth/logout",
      permission: "authenticated",
      tag: "auth",
      summary: "End this session",
      audit: "auth.logout",
    },
    async (c) => {
      await signOut(c);
      return c.body(null, 204);
    },
  );
  api.route(
    {
      method: "GET",
      path: "/auth/me",
      permission: "authenticated",
      tag: "auth",
      summary: "Who is calling, and the CSRF token for cookie sessions",
    },
    async (c) => {
      const principal = principalOf(c);
      const user = await getUser(serviceCtx(c), principal.userId);
      const csrfToken =
        principal.via === "cookie" && principal.sessionId
          ? await csrfTokenFor(c.get("deps").secrets.sessionKey, principal.sessionId)
          : null;
      return c.json({ user: { ...user, role: principal.role }, via: principal.via, csrfToken });
    },
  );
}
