import { cancelRun } from "../../services/runs/cancel-run.ts";
import { getRun } from "../../services/runs/get-run.ts";
import { runLogs } from "../../services/runs/list-run-logs.ts";
import { listRuns, runFilter } from "../../services/runs/list-runs.ts";
import { pauseRun } from "../../services/runs/pause-run.ts";
import { queueRun } from "../../services/runs/queue-run.ts";
import { resumeRun } from "../../services/runs/resume-run.ts";
import { retryRun } from "../../services/runs/retry-run.ts";
import { runActions } from "../../services/runs/run-actions.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams, pageQuery } from "./router.ts";

export function registerRunRoutes(api: ApiRouter): void {
  const tag = "runs";
  api.route(
    {
      method: "POST",
      path: "/jobs/:id/run",
      permission: "operate",
      tag,
      summary: "Queue a run of the job now",
      params: idParams,
      audit: "job.run",
      success: { status: 202, description: "The queued run" },
    },
    async (c, { params }) => {
      const run = await queueRun(serviceCtx(c), params.id, principalOf(c).username);
      auditTarget(c, params.id, { runId: run.id });
      return c.json(run, 202);
    },
  );
  api.route(
    {
      method: "GET",
      path: "/runs",
      permission: "read",
      tag,
      summary: "Runs, newest first",
      query: pageQuery.extend(runFilter.shape),
    },
    async (c, { query }) => {
      const { limit, cursor, ...filter } = query;
      return c.json(await listRuns(serviceCtx(c), { limit, cursor }, filter));
    },
  );
  api.route(
    {
      method: "GET",
      path: "/runs/:id",
      permission: "read",
      tag,
      summary: "A run with its live progress and what it may do next (actions: pause, resume, cancel, retry)",
      params: idParams,
    },
    async (c, { params }) => {
      const run = await getRun(serviceCtx(c), params.id);
      return c.json({ ...run, actions: runActions(run) });
    },
  );
  api.route(
    {
      method: "GET",
      path: "/runs/:id/logs",
      permission: "read",
      tag,
      summary: "A run's log lines, oldest first; pass `cursor` to follow the tail",
      params: idParams,
      query: pageQuery,
    },
    async (c, { params, query }) =>
      c.json(await runLogs(serviceCtx(c), params.id, query.cursor, query.limit)),
  );
  const controls = { cancel: cancelRun, pause: pauseRun, resume: resumeRun } as const;
  for (const [verb, action] of Object.entries(controls)) {
    api.route(
      {
        method: "POST",
        path: `/runs/:id/${verb}`,
        permission: "operate",
        tag,
        summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a run`,
        params: idParams,
        audit: `run.${verb}`,
      },
      async (c, { params }) => c.json(await action(serviceCtx(c), params.id)),
    );
  }
  api.route(
    {
      method: "POST",
      path: "/runs/:id/retry",
      permission: "operate",
      tag,
      summary: "Retry a failed, interrupted or cancelled run",
      params: idParams,
      audit: "run.retry",
      success: { status: 202, description: "The new run" },
    },
    async (c, { params }) => {
      const run = await retryRun(serviceCtx(c), params.id, principalOf(c).username);
      auditTarget(c, params.id, { newRunId: run.id });
      return c.json(run, 202);
    },
  );
}
