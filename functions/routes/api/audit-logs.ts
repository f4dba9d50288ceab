import { auditFilter, listAuditLogs } from "../../services/audit/list-audit-logs.ts";
import { jobLogFilter, listJobLogs } from "../../services/runs/list-job-logs.ts";
import { serviceCtx } from "./context.ts";
import { type ApiRouter, pageQuery } from "./router.ts";

export function registerAuditLogRoutes(api: ApiRouter): void {
  api.route(
    {
      method: "GET",
      path: "/audit-logs",
      permission: "read",
      tag: "audit-logs",
      summary: "Audit log, newest first, filterable",
      query: pageQuery.extend(auditFilter.shape),
    },
    async (c, { query }) => {
      const { limit, cursor, ...filter } = query;
      return c.json(await listAuditLogs(serviceCtx(c), { limit, cursor }, filter));
    },
  );
  api.route(
    {
      method: "GET",
      path: "/job-logs",
      permission: "read",
      tag: "runs",
      summary: "Log lines of all runs, newest first; filter by job, run, least level and text",
      query: pageQuery.extend(jobLogFilter.shape),
    },
    async (c, { query }) => {
      const { limit, cursor, ...filter } = query;
      return c.json(await listJobLogs(serviceCtx(c), { limit, cursor }, filter));
    },
  );
}
