import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { AGENT_API_PREFIX } from "../../contracts/agent-protocol.ts";
import type { AppEnv } from "../deps.ts";
import { resolveAgent } from "../services/agents/agent-auth.ts";
import { resolvePrincipal } from "../services/auth/resolve-principal.ts";

export const SESSION_COOKIE = "tb_session";

/**
 * Works out who is calling (Bearer session token or API key, an X-API-Key, else the session cookie) and
 * stores it; it rejects nothing itself — each route's permission decides.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { db, now, secrets } = c.get("deps");
    const header = c.req.header("authorization");
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (c.req.path.startsWith(`${AGENT_API_PREFIX}/`)) {
      // The agent protocol knows only agent tokens; user sessions and API keys do not apply there.
      if (bearer) c.set("agent", await resolveAgent({ db, now }, bearer));
      return next();
    }
    // Upstream TapeBackarr's clients (its desk monitor) send an API key as X-API-Key.
    const xApiKey = bearer ? undefined : c.req.header("x-api-key")?.trim() || undefined;
    const cookie = bearer || xApiKey ? undefined : getCookie(c, SESSION_COOKIE);
    const credential = bearer
      ? ({ token: bearer, via: "bearer" } as const)
      : xApiKey
        ? ({ token: xApiKey, via: "x-api-key" } as const)
        : cookie
          ? ({ token: cookie, via: "cookie" } as const)
          : undefined;
    if (credential) c.set("principal", await resolvePrincipal({ db, now }, secrets, credential));
    await next();
  };
}
