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

/** Only same-site relative paths may be redirected to after sign-in. */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?![/\\])/.test(next) ? next : "/";
}
