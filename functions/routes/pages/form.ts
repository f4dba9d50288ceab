import type { Context } from "hono";
import type { z } from "zod";
import { Alert } from "../../../views/partials/alert.tsx";
import type { AppEnv } from "../../deps.ts";
import { validationError } from "../../errors.ts";
import { roleAllows } from "../../security/permissions.ts";

/** Form fields as strings; empty fields dropped so schema defaults apply. */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body))
    if (typeof value === "string" && value.trim() !== "") out[key] = value.trim();
  return out;
}

/** Validates form input with a service's own schema: the API and the pages accept the same things. */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error, "body");
  return result.data;
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
