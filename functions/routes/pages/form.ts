import type { Context } from "hono";
import type { z } from "zod";
import { Alert } from "../../../views/partials/alert.tsx";
import { NO_SITE } from "../../../views/partials/site-select.tsx";
import type { AppEnv } from "../../deps.ts";
import { AppError, validationError } from "../../errors.ts";
import { roleAllows } from "../../security/permissions.ts";
import { actingCtx, sitesToActAt } from "../../services/sites/sites-to-act-at.ts";
import { principalOf, serviceCtx } from "../api/context.ts";

/** Form fields as strings; empty fields dropped so schema defaults apply. */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body))
    if (typeof value === "string" && value.trim() !== "") out[key] = value.trim();
  return out;
}

/** A page's query string, empty fields dropped: a filter's "any" (an empty option) is no filter. */
export function queryFields(c: Context<AppEnv>): Record<string, string> {
  return Object.fromEntries(Object.entries(c.req.query()).filter(([, value]) => value.trim() !== ""));
}

/** The site select's value: a site id, null for "no site", undefined when the form has none. */
export const siteField = (v: string | undefined) =>
  v === undefined ? undefined : v === NO_SITE ? null : Number(v);

/** The sites a create or edit form offers the signed-in user (see SiteSelect). */
export const siteChoice = (c: Context<AppEnv>) => sitesToActAt(serviceCtx(c), principalOf(c).siteRoles);

/** The service context a form's selects are listed through: only what the caller may use. */
export const actingAt = (c: Context<AppEnv>) => actingCtx(serviceCtx(c), principalOf(c).siteRoles);

/** The form fields as their labels say them, for a message about a field ("Schedule", not "body.schedule"). */
const FIELD_LABELS: Record<string, string> = {
  schedule: "Schedule",
  poolId: "Pool",
  sourceId: "Source",
  encryptionKeyId: "Encryption key",
  retentionDays: "Retention days",
  retryDelayMinutes: "Minutes before each retry",
  agentId: "Agent",
  siteId: "Site",
  timeZone: "Time zone",
};

const fieldLabel = (name: string) =>
  FIELD_LABELS[name] ?? name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());

/**
 * Validates form input with a service's own schema: the API and the pages accept the same things.
 * The message names the field by its label, the way the operator saw it in the form.
 */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const error = validationError(result.error, "body");
  const first = result.error.issues[0];
  const field = first?.path.map(String).join(".");
  if (!first || !field) throw error;
  // The services' own messages read on from the field's name ("is a host name"); zod's stand alone.
  const joiner = /^[a-z]/.test(first.message) ? " " : ": ";
  throw new AppError("validation_failed", `${fieldLabel(field)}${joiner}${first.message}`, error.details);
}

export const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
export const list = (v: string | undefined) =>
  (v ?? "")
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

export function can(c: Context<AppEnv>, level: "operate" | "admin"): boolean {
  const principal = c.get("principal");
  return !!principal && roleAllows(principal.role, level);
}

export function ok(c: Context<AppEnv>, message: string, status: 200 | 201 | 202 = 200) {
  return c.html(Alert({ kind: "ok", message }).value, status);
}
