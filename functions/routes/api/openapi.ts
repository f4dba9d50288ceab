import { z } from "zod";
import { VERSION } from "../../version.ts";
import { API_PREFIX, type ApiRouter, type RouteSpec } from "./router.ts";

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "requestId"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        details: {},
        requestId: { type: "string" },
      },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return rest;
}

function parameters(spec: RouteSpec) {
  const params: Record<string, unknown>[] = [];
  for (const [where, schema] of [
    ["path", spec.params],
    ["query", spec.query],
  ] as const) {
    if (!(schema instanceof z.ZodObject)) continue;
    const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      params.push({
        name,
        in: where,
        required: where === "path" || (json.required ?? []).includes(name),
        schema: property,
      });
    }
  }
  return params;
}

function operation(spec: RouteSpec) {
  const ok = spec.success ?? { status: 200, description: "OK" };
  const errors: Record<string, unknown> = {};
  const errorResponse = (description: string) => ({
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  });
  if (spec.body || spec.query || spec.params) errors["400"] = errorResponse("Invalid input");
  if (spec.permission !== "public") {
    errors["401"] = errorResponse("Not signed in");
    if (spec.permission !== "authenticated")
      errors["403"] = errorResponse(`Needs permission ${spec.permission}`);
  }
  if (spec.params) errors["404"] = errorResponse("No such record");
  return {
    summary: spec.summary,
    tags: [spec.tag],
    "x-permission": spec.permission,
    ...(spec.permission === "public" ? { security: [] } : {}),
    parameters: parameters(spec),
    ...(spec.body
      ? {
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(spec.body) } } },
        }
      : {}),
    responses: { [String(ok.status)]: { description: ok.description }, ...errors },
  };
}

/** The OpenAPI 3.1 document, built from the same route specs that enforce permissions and validate input. */
export function buildOpenApi(api: ApiRouter) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of api.specs) {
    const path = `${API_PREFIX}${spec.path}`.replace(/:(\w+)/g, "{$1}");
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[spec.method.toLowerCase()] = operation(spec);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "TapeBackarr hub API",
      version: VERSION,
      description:
        "JSON API of the TapeBackarr hub. Authenticate with a session token from POST /api/v1/auth/login or an API key, as `Authorization: Bearer …`. Cookie sessions must send X-CSRF-Token on mutations. Lists are paginated with `limit` and `cursor` (pass `nextCursor`).",
    },
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        cookie: { type: "apiKey", in: "cookie", name: "tb_session" },
      },
    },
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
  };
}

export function registerOpenApiRoute(api: ApiRouter): void {
  let document: ReturnType<typeof buildOpenApi> | undefined;
  api.route(
    { method: "GET", path: "/openapi.json", permission: "public", tag: "meta", summary: "This document" },
    (c) => {
      document ??= buildOpenApi(api);
      return c.json(document);
    },
  );
}
