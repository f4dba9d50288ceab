import { renderDocument } from "../../../views/html.ts";
import { ActiveRuns, DashboardPage } from "../../../views/pages/dashboard.tsx";
import { Attention } from "../../../views/partials/attention.tsx";
import { needsOperator } from "../../services/attention/needs-operator.ts";
import { getDashboard } from "../../services/dashboard/get-dashboard.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { serviceCtx } from "../api/context.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** The dashboard and the parts of it that poll. */
export function registerDashboardPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/partials/active-runs", permission: "read", summary: "Running jobs (polled)" },
    async (c) => {
      const data = await getDashboard(serviceCtx(c));
      return c.html(ActiveRuns({ runs: data.active }).value);
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/partials/attention",
      permission: "read",
      summary: "What needs an operator (polled)",
    },
    async (c) => c.html(Attention({ items: await needsOperator(serviceCtx(c)) }).value),
  );
  pages.route(
    { method: "GET", path: "/", permission: "read", summary: "Dashboard", query: siteFilter },
    async (c, { query }) => {
      const data = await getDashboard(serviceCtx(c), query);
      return c.html(renderDocument(DashboardPage({ layout: await layoutFor(c), data })));
    },
  );
}
