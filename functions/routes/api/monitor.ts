import { z } from "zod";
import { getMonitorDashboard } from "../../services/monitor/get-monitor-dashboard.ts";
import { listActiveJobs } from "../../services/monitor/list-active-jobs.ts";
import { listRecentEvents } from "../../services/monitor/list-recent-events.ts";
import { principalOf, serviceCtx } from "./context.ts";
import type { ApiRouter } from "./router.ts";

const eventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(100),
  before: z.coerce.number().int().positive().optional(),
});

/**
 * The endpoints upstream TapeBackarr's monitoring clients poll (its desk monitor, TapeBackarrCYD),
 * answering in upstream's JSON shapes so such a client pointed at this hub keeps working. They
 * take an API key as `X-API-Key` as upstream does (docs/adr/0011-notifications-and-events.md).
 * Registered before /jobs/:id so `active` is not read as an id.
 */
export function registerMonitorRoutes(api: ApiRouter): void {
  const tag = "monitor";
  api.route(
    {
      method: "GET",
      path: "/dashboard",
      permission: "read",
      tag,
      summary: "Counts, pool storage and drive status in upstream TapeBackarr's dashboard shape",
    },
    async (c) => c.json(await getMonitorDashboard(serviceCtx(c))),
  );
  api.route(
    {
      method: "GET",
      path: "/jobs/active",
      permission: "read",
      tag,
      summary: "Runs in progress, as upstream's job progress objects (an array)",
    },
    async (c) => c.json(await listActiveJobs(serviceCtx(c))),
  );
  api.route(
    {
      method: "GET",
      path: "/events",
      permission: "read",
      tag,
      summary: "Recent events from the catalog, oldest first, in upstream's SystemEvent shape (an array)",
      query: eventsQuery,
    },
    async (c, { query }) =>
      c.json(
        await listRecentEvents(serviceCtx(c), principalOf(c), {
          limit: query.limit,
          before: query.before,
        }),
      ),
  );
}
