import type { Context } from "hono";
import { renderDocument } from "../../../views/html.ts";
import { ErrorPage } from "../../../views/pages/error.tsx";
import type { AppEnv } from "../../deps.ts";
import type { AppError } from "../../errors.ts";
import { layoutFor } from "./session-pages.ts";

/** A failed page request as a whole document in the normal layout; the nav shows when signed in. */
export async function renderErrorPage(c: Context<AppEnv>, error: AppError, requestId?: string) {
  const layout = c.get("principal") ? await layoutOrPlain(c) : { user: null, csrfToken: null };
  return renderDocument(ErrorPage({ layout, status: error.status, message: error.message, requestId }));
}

/**
 * The layout of an error page must not fail with the error it reports (a catalog that does not
 * answer cannot give the time zone): then the page has no menu, and the failure is logged.
 */
async function layoutOrPlain(c: Context<AppEnv>) {
  try {
    return await layoutFor(c);
  } catch (error) {
    c.get("deps")?.logger.error(
      { requestId: c.get("requestId"), err: String((error as Error).message ?? error) },
      "error page rendered without its layout",
    );
    return { user: null, csrfToken: null };
  }
}
