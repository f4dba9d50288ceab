import { z } from "zod";
import { renderDocument } from "../../../views/html.ts";
import { AuditLogPage, JobLogsPage } from "../../../views/pages/logs.tsx";
import { exportAuditLogs } from "../../services/audit/export-audit-logs.ts";
import { auditFilter, listAuditLogs } from "../../services/audit/list-audit-logs.ts";
import { listJobs } from "../../services/jobs/list-jobs.ts";
import { jobLogFilter, LOG_LEVELS, listJobLogs } from "../../services/runs/list-job-logs.ts";
import { serviceCtx } from "../api/context.ts";
import { parseForm } from "./form.ts";
import { cursorQuery, type PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** Empty form fields mean "no filter", as a GET form sends them. */
const present = (query: Record<string, string>) =>
  Object.fromEntries(Object.entries(query).filter(([, v]) => v.trim() !== ""));

const auditExportQuery = auditFilter.extend({ format: z.enum(["csv", "json"]).default("csv") });

export function registerLogPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/logs", permission: "read", summary: "Job logs, filterable", query: cursorQuery },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const { cursor: _cursor, ...rest } = present(c.req.query());
      const filter = parseForm(jobLogFilter, rest);
      const [page, jobs] = await Promise.all([
        listJobLogs(ctx, { limit: 100, cursor: query.cursor }, filter),
        listJobs(ctx, { limit: 500 }),
      ]);
      return c.html(
        renderDocument(
          JobLogsPage({
            layout: await layoutFor(c),
            filter,
            jobs: jobs.items,
            levels: LOG_LEVELS,
            rows: page.items,
            nextCursor: page.nextCursor,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/logs/audit",
      permission: "read",
      summary: "Audit log, filterable",
      query: cursorQuery,
    },
    async (c, { query }) => {
      const { cursor: _cursor, ...rest } = present(c.req.query());
      const filter = parseForm(auditFilter.pick({ action: true, actor: true }), rest);
      const page = await listAuditLogs(serviceCtx(c), { limit: 100, cursor: query.cursor }, filter);
      const params = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)]));
      return c.html(
        renderDocument(
          AuditLogPage({
            layout: await layoutFor(c),
            filter,
            rows: page.items,
            nextCursor: page.nextCursor,
            downloads: {
              csv: `/logs/audit/export?${new URLSearchParams([...params, ["format", "csv"]])}`,
              json: `/logs/audit/export?${new URLSearchParams([...params, ["format", "json"]])}`,
            },
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/logs/audit/export",
      permission: "read",
      summary: "The audit log as CSV or JSON, with the page's filters",
      query: auditExportQuery,
    },
    async (c, { query }) => {
      const { format, ...filter } = query;
      const file = await exportAuditLogs(serviceCtx(c), filter, format);
      return c.body(file.body, 200, {
        "content-type": file.contentType,
        "content-disposition": `attachment; filename="${file.filename}"`,
        "cache-control": "no-store",
      });
    },
  );
}
