import type { Context } from "hono";
import type { AppEnv, Principal } from "../../deps.ts";
import { AppError, notFound } from "../../errors.ts";
import { type Permission, roleAllows } from "../../security/permissions.ts";
import { SHARED_WHEN_UNBOUND, type SiteObject, siteOf } from "../../services/sites/site-of.ts";

/** An object a request names in its body (a JSON field, or a form field on a page). */
export interface SiteRef {
  of: SiteObject;
  body: string;
}

/**
 * The object a path's first parameter names, by the resource before it: `/tapes/:id/label` is
 * tape :id, `/restore/sets/:id/start` set :id. A route with a parameter under no resource here is
 * refused to site-scoped callers until it says what it names, so a new route cannot leak.
 */
const PATH_OBJECTS: [RegExp, SiteObject][] = [
  [/\/sites\/:id\b/, "site"],
  [/\/agents\/:id\b/, "agent"],
  [/\/drives\/:id\b/, "drive"],
  [/\/(changers|library)\/:id\b/, "changer"],
  [/\/tapes\/:id\b/, "tape"],
  [/\/pools\/:id\b/, "pool"],
  [/\/sources\/:id\b/, "source"],
  [/\/jobs\/:id\b/, "job"],
  [/\/runs\/:id\b/, "run"],
  [/\/sets\/:id\b/, "set"],
  [/\/media-sets\/:id\b/, "media-set"],
  [/\/guest-backups\/:id\b/, "guest-backup"],
  [/\/(encryption-keys|keys)\/:id\b/, "encryption-key"],
];

interface SiteSpec {
  method: string;
  path: string;
  permission: Permission | "agent";
  /** Objects named in the body; "hub" for a route that acts on no site's objects. */
  site?: SiteRef[] | "hub";
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The site dimension of the permission check, run after the role check and the input's
 * validation: every object the request names is looked up where it is, the first one's site goes
 * on the audit row, and a site-scoped caller must hold the route's role at each of their sites.
 * A GET of another site's object answers 404 (they do not see it); a mutation is refused (403).
 */
export async function authorizeSite(
  c: Context<AppEnv>,
  spec: SiteSpec,
  /** The validated JSON body; undefined on a page (its form is read); "path-only" before validation. */
  body: unknown,
  onDenied: (reason: string) => Promise<void>,
): Promise<void> {
  if (spec.permission === "public" || spec.permission === "authenticated" || spec.permission === "agent")
    return;
  const principal = c.get("principal");
  const mutating = MUTATING.has(spec.method);
  if (!principal?.siteRoles && !mutating) return;
  const named = await namedObjects(c, spec, body);
  const deps = c.get("deps");
  const sites = await Promise.all(named.map((o) => siteOf({ db: deps.db, now: deps.now }, o.of, o.id)));
  const first = sites.find((s) => s != null);
  if (first != null) c.set("auditSite", first);
  if (!principal?.siteRoles) return;
  if (
    body !== "path-only" &&
    spec.site !== "hub" &&
    named.length === 0 &&
    (mutating || spec.path.includes(":"))
  )
    return refuse(
      spec,
      principal,
      onDenied,
      "it names no object of your sites, and your roles hold at some sites only",
    );
  for (const [i, site] of sites.entries()) {
    if (site === undefined) continue; // the handler answers 404 for an object that does not exist
    if (site === null && SHARED_WHEN_UNBOUND.has((named[i] as { of: SiteObject }).of)) continue;
    const role = principal.siteRoles.find((r) => r.siteId === site)?.role;
    if (role && roleAllows(role, spec.permission as Permission)) continue;
    const object = named[i] as { of: SiteObject; id: string };
    if (!mutating && !role) throw notFound(object.of, object.id);
    return refuse(
      spec,
      principal,
      onDenied,
      site === null
        ? `${object.of} ${object.id} is at no site, and your roles hold at some sites only`
        : `your role at ${object.of === "site" ? "site" : `the site of ${object.of}`} ${object.id} is ${role ?? "none"}; this needs ${spec.permission}`,
    );
  }
}

async function refuse(
  spec: SiteSpec,
  principal: Principal,
  onDenied: (reason: string) => Promise<void>,
  reason: string,
): Promise<never> {
  if (MUTATING.has(spec.method)) await onDenied(reason);
  throw new AppError("forbidden", `${principal.username} may not do this: ${reason}`);
}

async function namedObjects(
  c: Context<AppEnv>,
  spec: SiteSpec,
  body: unknown,
): Promise<{ of: SiteObject; id: string }[]> {
  const named: { of: SiteObject; id: string }[] = [];
  const id = c.req.param("id");
  const fromPath = PATH_OBJECTS.find(([pattern]) => pattern.test(spec.path))?.[1];
  if (fromPath && id !== undefined) named.push({ of: fromPath, id });
  if (spec.site === undefined || spec.site === "hub" || body === "path-only") return named;
  const fields = body === undefined ? await formFields(c) : (body as Record<string, unknown>);
  for (const ref of spec.site) {
    const value = fields?.[ref.body];
    if (typeof value === "number" || (typeof value === "string" && value.trim() !== ""))
      named.push({ of: ref.of, id: String(value).trim() });
  }
  return named;
}

async function formFields(c: Context<AppEnv>): Promise<Record<string, unknown> | undefined> {
  if (
    !/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(c.req.header("content-type") ?? "")
  )
    return undefined;
  return (await c.req.parseBody()) as Record<string, unknown>;
}
