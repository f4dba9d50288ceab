import type { Context } from "hono";
import { renderDocument } from "../../../views/html.ts";
import { ErrorPage } from "../../../views/pages/error.tsx";
import type { AppEnv } from "../../deps.ts";
import type { AppError } from "../../errors.ts";
import { layoutFor } from "./session-pages.ts";

/** A failed page request as a whole document in the normal layout; the nav shows when signed in. */
export async function renderErrorPage(c: Context<AppEnv>, error: AppError, requestId?: string) {
  const layout = c.get("principal") ? await layoutFor(c) : { user: null, csrfToken: null };
  return renderDocument(ErrorPage({ layout, status: error.status, message: error.message, requestId }));
}
