import { planPreflight } from "../../services/preflight/plan-preflight.ts";
import { retentionCalendar } from "../../services/retention/retention-calendar.ts";
import { serviceCtx } from "./context.ts";
import { type ApiRouter, idParams } from "./router.ts";

/** Media lifecycle for scripts: a job's pre-flight and the retention calendar. */
export function registerLifecycle(api: ApiRouter): void {
  api.route(
    {
      method: "GET",
      path: "/jobs/:id/preflight",
      permission: "read",
      tag: "jobs",
      summary: "Which tape(s) the job's next run will write and whether they can be had",
      params: idParams,
    },
    async (c, { params }) => c.json(await planPreflight(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "GET",
      path: "/retention",
      permission: "read",
      tag: "pools",
      summary: "Per pool and tape: when it becomes reusable, what it holds, and warnings",
    },
    async (c) => c.json({ pools: await retentionCalendar(serviceCtx(c)) }),
  );
}
