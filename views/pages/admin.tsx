import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, Select, TableHead } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

type Layoutless = Omit<LayoutModel, "title" | "current">;
const ROLE_OPTIONS = ["read-only", "operator", "admin"].map((r) => ({ value: r, label: r }));

export function UsersPage(model: {
  layout: Layoutless;
  users: { id: number; username: string; role: string; disabled: boolean; lastLoginAt: Date | null }[];
  /** Sites a user may be limited to, and each user's roles there (none: their role holds everywhere). */
  sites?: { id: number; name: string }[];
  siteRoles?: { userId: number; siteId: number; role: string }[];
}): SafeHtml {
  const sites = model.sites ?? [];
  return (
    <Layout {...model.layout} title="Users" current="/users">
      <h1>Users</h1>
      <section class="card">
        <table>
          <TableHead
            columns={["User", "Role", "Last sign-in", "Change", ...(sites.length > 0 ? ["Sites"] : [])]}
          />
          <tbody>
            {model.users.map((u) => (
              <tr>
                <td>
                  {u.username}
                  {u.disabled ? <span class="badge state-failed"> disabled</span> : null}
                </td>
                <td>{u.role}</td>
                <td>
                  <Time at={u.lastLoginAt} />
                </td>
                <td>
                  <form class="inline" hx-post={`/users/${u.id}`} hx-target={`#user-${u.id}-result`}>
                    <select name="role" aria-label={`Role of ${u.username}`}>
                      {ROLE_OPTIONS.map((o) => (
                        <option value={o.value} selected={o.value === u.role}>
                          {o.label}
                        </option>
                      ))}
                    </select>
                    <select name="disabled" aria-label={`Access of ${u.username}`}>
                      <option value="false" selected={!u.disabled}>
                        active
                      </option>
                      <option value="true" selected={u.disabled}>
                        disabled
                      </option>
                    </select>
                    <button type="submit">Save</button>
                    <span id={`user-${u.id}-result`}></span>
                  </form>
                </td>
                {sites.length > 0 ? (
                  <td>
                    {u.role === "admin" ? "every site" : SiteRolesForm(u, sites, model.siteRoles ?? [])}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>New user</h2>
        <HxForm action="/users" id="new-user" submit="Create user">
          <Field label="Username" name="username" required />
          <Field label="Password (at least 10 characters)" name="password" type="password" required />
          <Select label="Role" name="role" options={ROLE_OPTIONS} />
        </HxForm>
      </section>
    </Layout>
  );
}

export function ApiKeysPage(model: {
  layout: Layoutless;
  keys: {
    id: number;
    name: string;
    prefix: string;
    role: string;
    expiresAt: Date | null;
    lastUsedAt: Date | null;
  }[];
}): SafeHtml {
  return (
    <Layout {...model.layout} title="API keys" current="/api-keys">
      <h1>API keys</h1>
      <section class="card">
        <table>
          <TableHead columns={["Name", "Key", "Role", "Expires", "Last used", ""]} />
          <tbody>
            {model.keys.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  <code>tbk_{k.prefix}_…</code>
                </td>
                <td>{k.role}</td>
                <td>
                  <Time at={k.expiresAt} />
                </td>
                <td>
                  <Time at={k.lastUsedAt} />
                </td>
                <td>
                  <form
                    class="inline"
                    hx-post={`/api-keys/${k.id}/revoke`}
                    hx-target={`#key-${k.id}-result`}
                    hx-confirm={`Revoke API key ${k.name}? Every script or client that signs in with it is refused from now on. This cannot be undone.`}
                  >
                    <button type="submit">Revoke</button>
                    <span id={`key-${k.id}-result`}></span>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>New API key</h2>
        <p class="muted">
          The key is shown once, right after it is created. Store it in your script's secret store.
        </p>
        <HxForm action="/api-keys" id="new-key" submit="Create key">
          <Field label="Name" name="name" required />
          <Select label="Role" name="role" options={ROLE_OPTIONS} />
          <Field label="Expires in days (empty = never)" name="expiresInDays" type="number" />
        </HxForm>
      </section>
    </Layout>
  );
}

/** Shown once after creation; the key is never retrievable again. */
export function NewApiKey(props: { key: string; name: string }): SafeHtml {
  return (
    <div class="alert ok" role="status">
      <p>Key {props.name} created. Copy it now; it is not shown again:</p>
      <pre>{props.key}</pre>
    </div>
  );
}

/**
 * A user's role at each site: "everywhere" at every site leaves them unscoped (their role holds
 * at every site); choosing a role at some sites limits them to those.
 */
function SiteRolesForm(
  user: { id: number; username: string },
  sites: { id: number; name: string }[],
  roles: { userId: number; siteId: number; role: string }[],
): SafeHtml {
  const held = new Map(roles.filter((r) => r.userId === user.id).map((r) => [r.siteId, r.role]));
  return (
    <form class="inline" hx-post={`/users/${user.id}/site-roles`} hx-target={`#user-${user.id}-sites`}>
      {sites.map((site) => (
        <label>
          {site.name}{" "}
          <select name={`site-${site.id}`} aria-label={`Role of ${user.username} at ${site.name}`}>
            <option value="" selected={!held.has(site.id)}>
              {held.size === 0 ? "(everywhere)" : "none"}
            </option>
            <option value="read-only" selected={held.get(site.id) === "read-only"}>
              read-only
            </option>
            <option value="operator" selected={held.get(site.id) === "operator"}>
              operator
            </option>
          </select>
        </label>
      ))}
      <button type="submit">Save sites</button>
      <span id={`user-${user.id}-sites`}></span>
    </form>
  );
}
