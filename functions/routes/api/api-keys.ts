import { createApiKey, createApiKeyInput } from "../../services/api-keys/create-api-key.ts";
import { listApiKeys } from "../../services/api-keys/list-api-keys.ts";
import { revokeApiKey } from "../../services/api-keys/revoke-api-key.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams, pageQuery } from "./router.ts";

export function registerApiKeyRoutes(api: ApiRouter): void {
  const tag = "api-keys";
  api.route(
    {
      method: "GET",
      path: "/api-keys",
      permission: "admin",
      tag,
      summary: "List API keys (never the keys themselves)",
      query: pageQuery,
    },
    async (c, { query }) => c.json(await listApiKeys(serviceCtx(c), query)),
  );
  api.route(
    {
      method: "POST",
      path: "/api-keys",
      permission: "admin",
      tag,
      summary: "Create an API key; the key is in this response only",
      body: createApiKeyInput,
      audit: "api_key.create",
      success: { status: 201, description: "{ key, apiKey }" },
    },
    async (c, { body }) => {
      const created = await createApiKey(serviceCtx(c), principalOf(c), body);
      auditTarget(c, created.apiKey.id, {
        name: created.apiKey.name,
        role: created.apiKey.role,
        prefix: created.apiKey.prefix,
      });
      c.header("Cache-Control", "no-store");
      return c.json(created, 201);
    },
  );
  api.route(
    {
      method: "DELETE",
      path: "/api-keys/:id",
      permission: "admin",
      tag,
      summary: "Revoke an API key",
      params: idParams,
      audit: "api_key.revoke",
      success: { status: 204, description: "Revoked" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      await revokeApiKey(serviceCtx(c), params.id);
      return c.body(null, 204);
    },
  );
}
