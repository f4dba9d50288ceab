import { LOCAL_TIME_SCRIPT } from "../../../views/assets/local-time.ts";
import { PRINT_SCRIPT, PRINT_STYLES } from "../../../views/assets/print.ts";
import { STYLES } from "../../../views/assets/styles.ts";
import { AppError } from "../../errors.ts";
import type { PageRouter } from "./router.ts";

export function registerAssetRoutes(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/assets/app.css", permission: "public", summary: "Stylesheet" },
    (c) => {
      c.header("Cache-Control", "public, max-age=3600");
      return c.body(STYLES, 200, { "Content-Type": "text/css; charset=utf-8" });
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/assets/local-time.js",
      permission: "public",
      summary: "Shows times in the hub's or the browser's zone",
    },
    (c) => {
      c.header("Cache-Control", "public, max-age=3600");
      return c.body(LOCAL_TIME_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/assets/print.css",
      permission: "public",
      summary: "Stylesheet of printed sheets",
    },
    (c) => {
      c.header("Cache-Control", "public, max-age=3600");
      return c.body(PRINT_STYLES, 200, { "Content-Type": "text/css; charset=utf-8" });
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/assets/print.js",
      permission: "public",
      summary: "Print buttons of printed sheets",
    },
    (c) => {
      c.header("Cache-Control", "public, max-age=3600");
      return c.body(PRINT_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/assets/htmx.min.js",
      permission: "public",
      summary: "htmx, served from the htmx.org package",
    },
    async (c) => {
      const asset = await c.get("deps").assets.get("htmx.min.js");
      if (!asset) throw new AppError("not_found", "htmx.min.js is not available in this build");
      c.header("Cache-Control", "public, max-age=86400");
      return c.body(asset.body, 200, { "Content-Type": asset.contentType });
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/assets/hx-sse.js",
      permission: "public",
      summary: "htmx's SSE extension (live toasts), served from the htmx.org package",
    },
    async (c) => {
      const asset = await c.get("deps").assets.get("hx-sse.js");
      if (!asset) throw new AppError("not_found", "hx-sse.js is not available in this build");
      c.header("Cache-Control", "public, max-age=86400");
      return c.body(asset.body, 200, { "Content-Type": asset.contentType });
    },
  );
}
