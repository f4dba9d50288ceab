import type { z } from "zod";
import type { ServiceCtx } from "../../deps.ts";
import { type auditFilter, listAuditLogs } from "./list-audit-logs.ts";

/** At most this many rows in one download: a longer log is narrowed with since/until. */
export const AUDIT_EXPORT_MAX_ROWS = 50_000;
const COLUMNS = ["id", "at", "actor", "action", "target", "outcome", "ip", "requestId", "details"] as const;

/** The audit rows the page's filters select, newest first, as CSV (RFC 4180) or JSON. */
export async function exportAuditLogs(
  ctx: ServiceCtx,
  filter: z.output<typeof auditFilter>,
  format: "csv" | "json",
): Promise<{ body: string; contentType: string; filename: string }> {
  const rows: Record<(typeof COLUMNS)[number], unknown>[] = [];
  let cursor: number | undefined;
  do {
    const page = await listAuditLogs(ctx, { limit: 500, ...(cursor ? { cursor } : {}) }, filter);
    for (const r of page.items)
      rows.push({
        id: r.id,
        at: r.at.toISOString(),
        actor: r.actor,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        ip: r.ip,
        requestId: r.requestId,
        details: r.details,
      });
    cursor = page.nextCursor ?? undefined;
  } while (cursor && rows.length < AUDIT_EXPORT_MAX_ROWS);
  const stamp = ctx.now().toISOString().slice(0, 10);
  if (format === "json")
    return {
      body: `${JSON.stringify({ filter, rows: rows.slice(0, AUDIT_EXPORT_MAX_ROWS) }, null, 2)}\n`,
      contentType: "application/json; charset=utf-8",
      filename: `tapebackarr-audit-${stamp}.json`,
    };
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    // A cell starting with = + - @ would run as a formula in a spreadsheet: prefix it with '.
    const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [
    COLUMNS.join(","),
    ...rows.slice(0, AUDIT_EXPORT_MAX_ROWS).map((r) => COLUMNS.map((c) => cell(r[c])).join(",")),
  ];
  return {
    body: `${lines.join("\r\n")}\r\n`,
    contentType: "text/csv; charset=utf-8",
    filename: `tapebackarr-audit-${stamp}.csv`,
  };
}
