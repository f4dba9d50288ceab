import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import type { Permission } from "../../security/permissions.ts";
import { auditMutation, authorize, checkInput, pageQuery, type RouteSpec } from "../api/router.ts";
import { authorizeSite, type SiteRef } from "../api/site-check.ts";
import { queryFields } from "./form.ts";

export interface PageSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: "GET" | "POST";
  path: string;
  permission: Permission;
  summary: string;
  /** Audit action for a POST; false when the handler audits itself. */
  audit?: string | false;
  /** The path's parameters: required when the path has any (`/tapes/:id`), checked on registration. */
  params?: P;
  /** The query string, for a page that reads one. */
  query?: Q;
  /** Form fields naming objects whose sites the caller's site roles must cover (see RouteSpec). */
  site?: SiteRef[] | "hub";
}

export interface PageInput<S extends PageSpec> {
  params: S["params"] extends z.ZodType ? z.output<S["params"]> : undefined;
  query: S["query"] extends z.ZodType ? z.output<S["query"]> : undefined;
}

type PageHandler<S extends PageSpec> = (
  c: Context<AppEnv>,
  input: PageInput<S>,
) => Promise<Response> | Response;

/**
 * Page and partial routes: the same permission check (and CSRF on POST) as the API, the same
 * zod check of path and query before the handler runs, errors as HTML. A path parameter
 * without a schema is refused when the route is registered, so no page can read a raw id.
 */
export class PageRouter {
  readonly specs: PageSpec[] = [];

  constructor(private readonly app: Hono<AppEnv>) {}

  route<S extends PageSpec>(spec: S, handler: PageHandler<S>): void {
    assertParamsDeclared(spec);
    this.specs.push(spec);
    const asRoute: RouteSpec = { ...spec, path: spec.path, tag: "page", audit: spec.audit };
    this.app.on(spec.method, spec.path, async (c) => {
      await authorize(c, asRoute);
      const denied = (reason: string) => auditMutation(c, asRoute, "denied", new Error(reason));
      await authorizeSite(c, asRoute, "path-only", denied);
      const input = parsePageInput(c, spec) as unknown as PageInput<S>;
      await authorizeSite(c, asRoute, undefined, denied);
      if (spec.method !== "POST" || spec.audit === false) return handler(c, input);
      try {
        const response = await handler(c, input);
        await auditMutation(c, asRoute, response.status < 400 ? "success" : "failure");
        return response;
      } catch (error) {
        await auditMutation(c, asRoute, "failure", error);
        throw error;
      }
    });
  }
}

/** A list page's `cursor`, as the API's list routes take it. */
export const cursorQuery = pageQuery.pick({ cursor: true });

/** The `:name` parameters of a Hono path. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
}

function assertParamsDeclared(spec: PageSpec): void {
  const names = pathParams(spec.path);
  if (names.length === 0) return;
  const shape = spec.params instanceof z.ZodObject ? Object.keys(spec.params.shape) : [];
  const missing = names.filter((name) => !shape.includes(name));
  if (missing.length > 0)
    throw new Error(
      `page route ${spec.method} ${spec.path} declares no params schema for ${missing.map((n) => `:${n}`).join(", ")}`,
    );
}

function parsePageInput(c: Context<AppEnv>, spec: PageSpec): { params: unknown; query: unknown } {
  return {
    params: spec.params ? pageParams(spec.params, c.req.param()) : undefined,
    query: spec.query ? checkInput(spec.query, queryFields(c), "query") : undefined,
  };
}

/** A bad id in the address says which part of the address is wrong, in words for a page. */
function pageParams(schema: z.ZodType, raw: Record<string, string>): unknown {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const name = String(result.error.issues[0]?.path[0] ?? "id");
  throw new AppError(
    "validation_failed",
    `"${(raw[name] ?? "").slice(0, 64)}" is not a valid ${name} for this page`,
    {
      issues: result.error.issues.map((issue) => ({
        path: ["params", ...issue.path.map(String)].join("."),
        message: issue.message,
      })),
    },
  );
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
