import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../deps.ts";

/**
 * One line per request. Only the path is logged (never the query string, headers or body),
 * so tokens and passwords cannot reach the log from here.
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const principal = c.get("principal");
    const status = c.res.status;
    const line = {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ip: c.get("clientIp"),
      user: principal?.username,
    };
    const logger = c.get("deps").logger;
    if (status >= 500) logger.error(line, "request");
    else logger.info(line, "request");
  };
}
