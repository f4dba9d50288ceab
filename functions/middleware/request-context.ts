import type { MiddlewareHandler } from "hono";
import type { AppEnv, Deps } from "../deps.ts";

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Request id (kept from a proxy when well-formed), injected deps, and the client address. */
export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("principal", null);
    c.set("agent", null);
    c.set("auditTarget", undefined);
    c.set("auditDetails", undefined);
    c.set("auditSite", undefined);
    c.set("clientIp", clientIp(c.req.header("x-forwarded-for"), deps.config.TRUST_PROXY, deps.peerIp(c)));
    c.header("X-Request-Id", requestId);
    await next();
  };
}

/** Behind a trusted reverse proxy the client is the first X-Forwarded-For hop; otherwise the socket peer. */
export function clientIp(
  forwardedFor: string | undefined,
  trustProxy: boolean,
  peer: string | undefined,
): string | undefined {
  if (trustProxy && forwardedFor) {
    const first = forwardedFor.split(",")[0]?.trim();
    if (first) return first.slice(0, 64);
  }
  return peer;
}
