import { createUser, createUserInput } from "../../services/users/create-user.ts";
import { deleteUser } from "../../services/users/delete-user.ts";
import { getUser } from "../../services/users/get-user.ts";
import { listUsers } from "../../services/users/list-users.ts";
import { updateUser, updateUserInput } from "../../services/users/update-user.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams, pageQuery } from "./router.ts";

export function registerUserRoutes(api: ApiRouter): void {
  const tag = "users";
  api.route(
    { method: "GET", path: "/users", permission: "admin", tag, summary: "List users", query: pageQuery },
    async (c, { query }) => c.json(await listUsers(serviceCtx(c), query)),
  );
  api.route(
    { method: "GET", path: "/users/:id", permission: "admin", tag, summary: "Get a user", params: idParams },
    async (c, { params }) => c.json(await getUser(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "POST",
      path: "/users",
      permission: "admin",
      tag,
      summary: "Create a user",
      body: createUserInput,
      audit: "user.create",
      success: { status: 201, description: "The new user" },
    },
    async (c, { body }) => {
      const user = await createUser(
        serviceCtx(c),
        body,
        c.get("deps").config.BCRYPT_COST,
        c.get("deps").passwords,
      );
      auditTarget(c, user.id, { username: user.username, role: user.role });
      return c.json(user, 201);
    },
  );
  api.route(
    {
      method: "PATCH",
      path: "/users/:id",
      permission: "admin",
      tag,
      summary: "Change a user's role, password, email or disabled flag",
      params: idParams,
      body: updateUserInput,
      audit: "user.update",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { fields: Object.keys(body) });
      return c.json(
        await updateUser(
          serviceCtx(c),
          params.id,
          body,
          c.get("deps").config.BCRYPT_COST,
          c.get("deps").passwords,
        ),
      );
    },
  );
  api.route(
    {
      method: "DELETE",
      path: "/users/:id",
      permission: "admin",
      tag,
      summary: "Delete a user",
      params: idParams,
      audit: "user.delete",
      success: { status: 204, description: "Deleted" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      await deleteUser(serviceCtx(c), params.id, principalOf(c).userId);
      return c.body(null, 204);
    },
  );
}
