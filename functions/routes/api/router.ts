import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../deps.ts";
import { AppError, asAppError, validationError } from "../../errors.ts";
import { csrfTokenValid } from "../../security/csrf.ts";
import { type Permission, roleAllows } from "../../security/permissions.ts";
import { recordAudit } from "../../services/audit/record-audit.ts";
import { authorizeSite, type SiteRef } from "./site-check.ts";

export const API_PREFIX = "/api/v1";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteSpec<
  B extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Path below /api/v1, Hono syntax (`/tapes/:id`). */
  path: string;
  /** The least role a user needs, or "agent" for the drive-agent protocol. */
  permission: Permission | "agent";
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  /** Audit action for a mutation, e.g. "tape.create"; false when the handler audits itself. */
  audit?: string | false;
  /**
   * Objects the body names, whose sites the caller's site roles must cover too (the path's
   * object is found from the path: see site-check.ts); "hub" for a route about no site's objects.
   */
  site?: SiteRef[] | "hub";
  /** Success status and what it returns, for the OpenAPI document. */
  success?: { status: number; description: string };
}

export interface RouteInput<S extends RouteSpec> {
  body: S["body"] extends z.ZodType ? z.output<S["body"]> : undefined;
  query: S["query"] extends z.ZodType ? z.output<S["query"]> : undefined;
  params: S["params"] extends z.ZodType ? z.output<S["params"]> : undefined;
}

type Handler<S extends RouteSpec> = (
  c: Context<AppEnv>,
  input: RouteInput<S>,
) => Promise<Response> | Response;

const MUTATING = new Set<Method>(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Every /api/v1 route is declared through here: its spec is the row of the permission
 * matrix, the source of the OpenAPI document, and the input schema checked before the
 * handler runs. Order per request: authenticate (global) → permission → CSRF → validate → site → handler → audit.
 */
export class ApiRouter {
  readonly specs: RouteSpec[] = [];

  constructor(
    private readonly app: Hono<AppEnv>,
    readonly prefix: string = API_PREFIX,
  ) {}

  route<S extends RouteSpec>(spec: S, handler: Handler<S>): void {
    this.specs.push(spec);
    this.app.on(spec.method, `${this.prefix}${spec.path}`, async (c) => {
      await authorize(c, spec);
      const denied = (reason: string) => auditMutation(c, spec, "denied", new Error(reason));
      // The path's object first, so another site's caller learns nothing from a validation error.
      await authorizeSite(c, spec, "path-only", denied);
      const input = (await parseInput(c, spec)) as unknown as RouteInput<S>;
      await authorizeSite(c, spec, input.body ?? {}, denied);
      if (!MUTATING.has(spec.method) || spec.audit === false) return handler(c, input);
      try {
        const response = await handler(c, input);
        await auditMutation(c, spec, response.status < 400 ? "success" : "failure");
        return response;
      } catch (error) {
        await auditMutation(c, spec, "failure", error);
        throw error;
      }
    });
  }
}

export async function authorize(c: Context<AppEnv>, spec: RouteSpec): Promise<void> {
  if (spec.permission === "public") return;
  if (spec.permission === "agent") {
    if (!c.get("agent"))
      throw new AppError("unauthorized", "Send a valid agent token (Authorization: Bearer <agent JWT>)");
    return;
  }
  const principal = c.get("principal");
  if (!principal) throw new AppError("unauthorized", "Sign in or send an API key (Authorization: Bearer …)");
  if (!roleAllows(principal.role, spec.permission)) {
    if (MUTATING.has(spec.method)) await auditMutation(c, spec, "denied");
    throw new AppError(
      "forbidden",
      `Your role (${principal.role}) may not do this; it needs ${spec.permission}`,
    );
  }
  if (MUTATING.has(spec.method) && principal.via === "cookie") {
    const { secrets } = c.get("deps");
    const presented = c.req.header("x-csrf-token");
    if (!principal.sessionId || !(await csrfTokenValid(secrets.sessionKey, principal.sessionId, presented))) {
      await auditMutation(c, spec, "denied", new Error("CSRF token missing or wrong"));
      throw new AppError(
        "csrf_failed",
        "Missing or wrong X-CSRF-Token header for a cookie-authenticated request",
      );
    }
  }
}

async function parseInput(c: Context<AppEnv>, spec: RouteSpec): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = { body: undefined, query: undefined, params: undefined };
  if (spec.params) input.params = checkInput(spec.params, c.req.param(), "params");
  if (spec.query) input.query = checkInput(spec.query, c.req.query(), "query");
  if (spec.body) input.body = checkInput(spec.body, await readJson(c), "body");
  return input;
}

export function checkInput(schema: z.ZodType, value: unknown, where: "body" | "query" | "params"): unknown {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError(
      "unsupported_media_type",
      "Send the request body as JSON (Content-Type: application/json)",
    );
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_json", "The request body is not valid JSON");
  }
}

export async function auditMutation(
  c: Context<AppEnv>,
  spec: RouteSpec,
  outcome: "success" | "failure" | "denied",
  error?: unknown,
): Promise<void> {
  const principal = c.get("principal");
  const details = { ...(c.get("auditDetails") ?? {}) };
  if (outcome === "denied" && error instanceof Error && !(error instanceof AppError))
    details.reason = error.message;
  else if (error) details.error = asAppError(error).code;
  const deps = c.get("deps");
  await recordAudit(
    { db: deps.db, now: deps.now },
    {
      userId: principal?.userId ?? null,
      actor: principal?.username ?? "anonymous",
      action: spec.audit || `${spec.tag}.${spec.method.toLowerCase()}`,
      target: c.get("auditTarget") ?? c.req.param("id") ?? null,
      outcome,
      ip: c.get("clientIp") ?? null,
      requestId: c.get("requestId"),
      details: Object.keys(details).length > 0 ? details : null,
      siteId: c.get("auditSite") ?? null,
    },
  );
}

/** Common query and params schemas. */
export const idParams = z.object({ id: z.coerce.number().int().positive() });
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().min(0).optional(),
});
export type PageQuery = z.output<typeof pageQuery>;
