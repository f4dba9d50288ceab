import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { Toast } from "../../../views/partials/toast.tsx";
import { EVENT_KINDS, type EventKind } from "../../services/events/event-kinds.ts";
import { eventsAfter } from "../../services/events/events-after.ts";
import { toMonitorEvent } from "../../services/monitor/list-recent-events.ts";
import { principalOf, serviceCtx } from "./context.ts";
import type { ApiRouter } from "./router.ts";

/** How often an open stream asks the catalog for new events, and how long one stream lasts. */
const POLL_MS = 1000;
const STREAM_MS = 5 * 60_000;

const streamQuery = z.object({
  format: z.enum(["json", "html"]).default("json"),
  lastEventId: z.coerce.number().int().min(0).optional(),
});

/**
 * GET /api/v1/events/stream: server-sent events from the catalog (not from memory, so every hub
 * instance serves the same stream), filtered by the caller's role. A reconnect with
 * Last-Event-ID gets what it missed, at most REPLAY_LIMIT. `format=html` sends each event as a
 * toast fragment (escaped) for the pages' htmx SSE extension; JSON is upstream's event shape.
 */
export function registerEventStream(api: ApiRouter): void {
  api.route(
    {
      method: "GET",
      path: "/events/stream",
      permission: "read",
      tag: "monitor",
      summary: "Live events (text/event-stream), with Last-Event-ID replay from the catalog",
      query: streamQuery,
    },
    (c, { query }) => {
      const ctx = serviceCtx(c);
      const reader = principalOf(c);
      const header = Number.parseInt(c.req.header("last-event-id") ?? "", 10);
      let after: number | null = Number.isFinite(header) ? header : (query.lastEventId ?? null);
      return streamSSE(c, async (stream) => {
        const until = Date.now() + STREAM_MS;
        while (!stream.aborted && Date.now() < until) {
          const { rows, lastId } = await eventsAfter(ctx, reader, after);
          for (const row of rows) {
            const title = EVENT_KINDS[row.kind as EventKind]?.label ?? row.kind;
            const data =
              query.format === "html"
                ? Toast({ id: row.id, title, text: row.text, severity: row.severity, href: row.href }).value
                : JSON.stringify(toMonitorEvent(row));
            await stream.writeSSE({ id: String(row.id), data });
          }
          if (after === null || rows.length === 0)
            await stream.writeSSE({ id: String(lastId), event: "hb", data: "" });
          after = lastId;
          await stream.sleep(POLL_MS);
        }
      });
    },
  );
}
