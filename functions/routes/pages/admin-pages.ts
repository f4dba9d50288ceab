import { renderDocument } from "../../../views/html.ts";
import { ApiKeysPage, NewApiKey, UsersPage } from "../../../views/pages/admin.tsx";
import { createApiKey, createApiKeyInput } from "../../services/api-keys/create-api-key.ts";
import { listApiKeys } from "../../services/api-keys/list-api-keys.ts";
import { revokeApiKey } from "../../services/api-keys/revoke-api-key.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { createUser, createUserInput } from "../../services/users/create-user.ts";
import { listSiteRoles } from "../../services/users/list-site-roles.ts";
import { listUsers } from "../../services/users/list-users.ts";
import { setSiteRoles, siteRolesInput } from "../../services/users/set-site-roles.ts";
import { updateUser, updateUserInput } from "../../services/users/update-user.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { formFields, num, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** Users and API keys: admin only, like their API. */
export function registerAdminPages(pages: PageRouter): void {
  pages.route({ method: "GET", path: "/users", permission: "admin", summary: "Users" }, async (c) => {
    const ctx = serviceCtx(c);
    const [users, sites, siteRoles] = await Promise.all([
      listUsers(ctx, { limit: 500 }),
      listSites(ctx),
      listSiteRoles(ctx),
    ]);
    return c.html(
      renderDocument(
        UsersPage({
          layout: await layoutFor(c),
          users: users.items,
          sites: sites.items.filter((s) => !s.retiredAt).map((s) => ({ id: s.id, name: s.name })),
          siteRoles,
        }),
      ),
    );
  });
  pages.route(
    {
      method: "POST",
      path: "/users/:id/site-roles",
      params: idParams,
      permission: "admin",
      summary: "Limit a user to some sites, with a role at each",
      audit: "user.site-roles",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const sites = Object.entries(f)
        .filter(([name, role]) => name.startsWith("site-") && role !== "")
        .map(([name, role]) => ({ siteId: Number(name.slice("site-".length)), role }));
      const saved = await setSiteRoles(serviceCtx(c), params.id, parseForm(siteRolesInput, { sites }));
      return ok(
        c,
        saved.sites.length === 0 ? "Saved: every site" : `Saved: ${saved.sites.length} site(s) only`,
      );
    },
  );
  pages.route(
    { method: "POST", path: "/users", permission: "admin", summary: "Create a user", audit: "user.create" },
    async (c) => {
      const f = await formFields(c);
      const user = await createUser(
        serviceCtx(c),
        parseForm(createUserInput, { username: f.username, password: f.password, role: f.role }),
        c.get("deps").config.BCRYPT_COST,
        c.get("deps").passwords,
      );
      c.header("HX-Refresh", "true");
      return ok(c, `User ${user.username} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/users/:id",
      params: idParams,
      permission: "admin",
      summary: "Change a user's role or access",
      audit: "user.update",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(updateUserInput, {
        role: f.role,
        disabled: f.disabled === undefined ? undefined : f.disabled === "true",
      });
      const user = await updateUser(
        serviceCtx(c),
        params.id,
        input,
        c.get("deps").config.BCRYPT_COST,
        c.get("deps").passwords,
      );
      return ok(c, `Saved: ${user.role}${user.disabled ? ", disabled" : ""}`);
    },
  );
  pages.route({ method: "GET", path: "/api-keys", permission: "admin", summary: "API keys" }, async (c) => {
    const keys = await listApiKeys(serviceCtx(c), { limit: 500 });
    return c.html(renderDocument(ApiKeysPage({ layout: await layoutFor(c), keys: keys.items })));
  });
  pages.route(
    {
      method: "POST",
      path: "/api-keys",
      permission: "admin",
      summary: "Create an API key (shown once)",
      audit: "api_key.create",
    },
    async (c) => {
      const f = await formFields(c);
      const created = await createApiKey(
        serviceCtx(c),
        principalOf(c),
        parseForm(createApiKeyInput, {
          name: f.name,
          role: f.role,
          expiresInDays: num(f.expiresInDays) ?? null,
        }),
      );
      c.header("Cache-Control", "no-store");
      return c.html(NewApiKey({ key: created.key, name: created.apiKey.name }).value, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/api-keys/:id/revoke",
      params: idParams,
      permission: "admin",
      summary: "Revoke an API key",
      audit: "api_key.revoke",
    },
    async (c, { params }) => {
      await revokeApiKey(serviceCtx(c), params.id);
      return ok(c, "Revoked");
    },
  );
}
