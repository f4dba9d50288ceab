import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { renderDocument } from "../../../views/html.ts";
import { LogTail, RunLive, RunPage } from "../../../views/pages/run.tsx";
import { cancelRun } from "../../services/runs/cancel-run.ts";
import { getRun } from "../../services/runs/get-run.ts";
import { getRunView } from "../../services/runs/get-run-view.ts";
import { runLogs } from "../../services/runs/list-run-logs.ts";
import { pauseRun } from "../../services/runs/pause-run.ts";
import { resumeRun } from "../../services/runs/resume-run.ts";
import { retryRun } from "../../services/runs/retry-run.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, ok } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** How often a run's progress stream reads the catalog, and how long one stream lasts (the page reconnects). */
const LIVE_POLL_MS = 1000;
const LIVE_STREAM_MS = 5 * 60_000;

/** A run's page, its streamed progress, polled log, and the operator's controls. */
export function registerRunPages(pages: PageRouter): void {
  pages.route(
    {
      method: "GET",
      path: "/runs/:id",
      params: idParams,
      permission: "read",
      summary: "A run with live progress and log",
    },
    async (c, { params }) => {
      const ctx = serviceCtx(c);
      const [run, lines] = await Promise.all([
        getRunView(ctx, params.id),
        runLogs(ctx, params.id, undefined, 500),
      ]);
      return c.html(
        renderDocument(
          RunPage({ layout: await layoutFor(c), run, lines: lines.items, canOperate: can(c, "operate") }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/runs/:id/live",
      params: idParams,
      permission: "read",
      summary: "A run's progress (polled) with its throughput history",
    },
    async (c, { params }) =>
      c.html(RunLive(await getRunView(serviceCtx(c), params.id), can(c, "operate")).value),
  );
  pages.route(
    {
      method: "GET",
      path: "/runs/:id/live/stream",
      params: idParams,
      permission: "read",
      summary: "A run's progress as server-sent events (each the live section), until the run ends",
    },
    async (c, { params }) => {
      const ctx = serviceCtx(c);
      const canOperate = can(c, "operate");
      await getRun(ctx, params.id); // a run that does not exist is a 404, not an empty stream
      return streamSSE(c, async (stream) => {
        // The throughput history is stored with the run, so each section carries all of it.
        let last = "";
        const until = Date.now() + LIVE_STREAM_MS;
        while (!stream.aborted && Date.now() < until) {
          const view = await getRunView(ctx, params.id);
          const html = RunLive(view, canOperate).value;
          if (html !== last) await stream.writeSSE({ data: html });
          last = html;
          if (view.finishedAt) {
            await stream.writeSSE({ event: "done", data: "" });
            return;
          }
          await stream.sleep(LIVE_POLL_MS);
        }
      });
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/runs/:id/log",
      params: idParams,
      query: z.object({ after: z.coerce.number().int().min(0).default(0) }),
      permission: "read",
      summary: "New log lines of a run (polled)",
    },
    async (c, { params, query }) => {
      const ctx = serviceCtx(c);
      const [run, lines] = await Promise.all([
        getRun(ctx, params.id),
        runLogs(ctx, params.id, query.after, 500),
      ]);
      return c.html(
        LogTail({ runId: params.id, lines: lines.items, after: query.after, live: !run.finishedAt }).value,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/runs/:id/retry",
      params: idParams,
      permission: "operate",
      summary: "Retry a run",
      audit: "run.retry",
    },
    async (c, { params }) => {
      const run = await retryRun(serviceCtx(c), params.id, principalOf(c).username);
      c.header("HX-Redirect", `/runs/${run.id}`);
      return ok(c, `Run ${run.id} queued`, 202);
    },
  );
  for (const [verb, action] of Object.entries({ cancel: cancelRun, pause: pauseRun, resume: resumeRun })) {
    pages.route(
      {
        method: "POST",
        path: `/runs/:id/${verb}`,
        params: idParams,
        permission: "operate",
        summary: `${verb} a run`,
        audit: `run.${verb}`,
      },
      async (c, { params }) => {
        const run = await action(serviceCtx(c), params.id);
        return ok(
          c,
          verb === "cancel" ? `Cancel requested for run ${run.id}` : `Run ${run.id}: ${verb} requested`,
        );
      },
    );
  }
}
