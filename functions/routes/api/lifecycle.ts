import { markMediaSet, markMediaSetInput } from "../../services/media-sets/mark-media-set.ts";
import { offsiteRotation } from "../../services/media-sets/offsite-rotation.ts";
import { planPreflight } from "../../services/preflight/plan-preflight.ts";
import { retentionCalendar } from "../../services/retention/retention-calendar.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams } from "./router.ts";

/** Media lifecycle for scripts: a job's pre-flight, the retention calendar and offsite rotation. */
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
  api.route(
    {
      method: "GET",
      path: "/rotation",
      permission: "read",
      tag: "pools",
      summary: "Media sets the pools' offsite rotation asks to take out of the library or bring back now",
    },
    async (c) => c.json({ items: await offsiteRotation(serviceCtx(c)) }),
  );
  api.route(
    {
      method: "POST",
      path: "/media-sets/:id/location",
      permission: "operate",
      tag: "pools",
      summary: "Mark every tape of a media set offsite (at a location), exported for good, or returned",
      params: idParams,
      body: markMediaSetInput,
      audit: "media-set.location",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { ...body });
      const principal = principalOf(c);
      return c.json(
        await markMediaSet(serviceCtx(c), params.id, body, {
          name: principal.username,
          userId: principal.userId ?? null,
        }),
      );
    },
  );
}
