import type { Context } from "hono";
import type { AppEnv, Principal, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";

/** The catalog and clock, and for a site-scoped caller the sites whose objects they may see. */
export function serviceCtx(c: Context<AppEnv>): ServiceCtx {
  const { db, now, orderWake, catalogWrites } = c.get("deps");
  const siteRoles = c.get("principal")?.siteRoles;
  return {
    db,
    now,
    ...(orderWake ? { orderWake } : {}),
    ...(catalogWrites ? { catalogWrites } : {}),
    ...(siteRoles ? { sites: siteRoles.map((r) => r.siteId) } : {}),
  };
}

/** The signed-in principal of a route whose permission already required one. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new AppError("unauthorized", "Sign in first");
  return principal;
}

/** Names the record a mutation touched, for its audit row. */
export function auditTarget(
  c: Context<AppEnv>,
  target: string | number,
  details?: Record<string, unknown>,
): void {
  c.set("auditTarget", String(target));
  if (details) c.set("auditDetails", details);
}
