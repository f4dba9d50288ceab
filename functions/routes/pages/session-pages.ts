import type { Context } from "hono";
import { renderDocument } from "../../../views/html.ts";
import { LoginPage } from "../../../views/pages/login.tsx";
import type { AppEnv } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { csrfTokenFor } from "../../security/csrf.ts";
import { getTimeZone } from "../../services/settings/get-time-zone.ts";
import { signIn, signOut } from "../api/auth.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { type PageRouter, safeNext } from "./router.ts";

export async function layoutFor(c: Context<AppEnv>) {
  const principal = principalOf(c);
  const csrfToken = principal.sessionId
    ? await csrfTokenFor(c.get("deps").secrets.sessionKey, principal.sessionId)
    : null;
  const { timeZone } = await getTimeZone(serviceCtx(c));
  return { user: { username: principal.username, role: principal.role }, csrfToken, timeZone };
}

/** A form post must come from our own origin when the browser says where it came from. */
function assertSameOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  if (origin && origin !== new URL(c.req.url).origin)
    throw new AppError("forbidden", "Cross-origin form posts are refused");
}

export function registerSessionPages(pages: PageRouter): void {
  pages.route({ method: "GET", path: "/login", permission: "public", summary: "Sign-in page" }, (c) => {
    if (c.get("principal")) return c.redirect("/");
    return c.html(renderDocument(LoginPage({ next: safeNext(c.req.query("next")) })));
  });
  pages.route(
    { method: "POST", path: "/login", permission: "public", summary: "Sign in from the form", audit: false },
    async (c) => {
      assertSameOrigin(c);
      const form = await c.req.parseBody();
      const username = typeof form.username === "string" ? form.username.trim().toLowerCase() : "";
      const password = typeof form.password === "string" ? form.password : "";
      if (!username || !password || username.length > 64 || password.length > 1024) {
        throw new AppError("validation_failed", "Enter a username and a password");
      }
      const next = safeNext(form.next);
      await signIn(c, { username, password });
      // htmx follows HX-Redirect; a browser without script posts the form and follows the 303.
      if (c.req.header("hx-request") !== "true") return c.redirect(next, 303);
      c.header("HX-Redirect", next);
      return c.body(null, 204);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/logout",
      permission: "authenticated",
      summary: "Sign out",
      audit: "auth.logout",
    },
    async (c) => {
      await signOut(c);
      c.header("HX-Redirect", "/login");
      return c.body(null, 204);
    },
  );
}
