import type { Context, Hono } from "hono";
import type { AppEnv } from "../../deps.ts";
import type { Permission } from "../../security/permissions.ts";
import { auditMutation, authorize, type RouteSpec } from "../api/router.ts";

export interface PageSpec {
  method: "GET" | "POST";
  path: string;
  permission: Permission;
  summary: string;
  /** Audit action for a POST; false when the handler audits itself. */
  audit?: string | false;
}

/** Page and partial routes: the same permission check (and CSRF on POST) as the API, errors as HTML. */
export class PageRouter {
  readonly specs: PageSpec[] = [];

  constructor(private readonly app: Hono<AppEnv>) {}

  route(spec: PageSpec, handler: (c: Context<AppEnv>) => Promise<Response> | Response): void {
    this.specs.push(spec);
    const asRoute: RouteSpec = { ...spec, path: spec.path, tag: "page", audit: spec.audit };
    this.app.on(spec.method, spec.path, async (c) => {
      await authorize(c, asRoute);
      if (spec.method !== "POST" || spec.audit === false) return handler(c);
      try {
        const response = await handler(c);
        await auditMutation(c, asRoute, response.status < 400 ? "success" : "failure");
        return response;
      } catch (error) {
        await auditMutation(c, asRoute, "failure", error);
        throw error;
      }
    });
  }
}

const SAME_ORIGIN = "http://hub.invalid";

/**
 * Where to go after sign-in: only a path on this hub. It is resolved the way a browser resolves
 * it (tabs and newlines dropped, `\` read as `/`), so `/\t/evil.example` cannot turn into
 * `//evil.example`; what is kept is the parsed URL's path, query and fragment, which the URL
 * serialiser has percent-encoded to plain ASCII, so it is always a valid header value.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(next, SAME_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== SAME_ORIGIN) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
