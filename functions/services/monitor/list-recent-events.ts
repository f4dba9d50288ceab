import { and, desc, lt } from "drizzle-orm";
import { events } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { EVENT_KINDS, type EventKind } from "../events/event-kinds.ts";
import { type EventReader, eventsVisibleTo } from "../events/events-visible-to.ts";

/** One event in the upstream's SystemEvent shape, plus ours (kind, severity, href). */
export interface MonitorEvent {
  id: string;
  /** Upstream's info/warning/success/error; `tape_change_required` for a tape needed, as its desk monitor watches. */
  type: "info" | "warning" | "success" | "error" | "tape_change_required";
  status?: "pending";
  tape_id?: number;
  category: "tape" | "drive" | "backup" | "system";
  title: string;
  message: string;
  details: Record<string, unknown>;
  timestamp: string;
  kind: string;
  severity: string;
  href: string | null;
}

type EventRow = typeof events.$inferSelect;

export function toMonitorEvent(row: EventRow): MonitorEvent {
  const kind = row.kind as EventKind;
  const category =
    kind.startsWith("tape") || kind.startsWith("preflight")
      ? "tape"
      : kind.startsWith("drive")
        ? "drive"
        : kind.startsWith("run") || kind.startsWith("verify") || kind.startsWith("set")
          ? "backup"
          : "system";
  const type =
    row.kind === "run.completed"
      ? "success"
      : row.severity === "error" || row.severity === "critical"
        ? "error"
        : row.severity === "warning"
          ? "warning"
          : "info";
  const tapeChange = row.kind === "tape.needed";
  return {
    id: String(row.id),
    type: tapeChange ? "tape_change_required" : type,
    ...(tapeChange ? { status: "pending" as const, tape_id: row.tapeId ?? 0 } : {}),
    category,
    title: EVENT_KINDS[kind]?.label ?? row.kind,
    message: row.action ? `${row.text} ${row.action}` : row.text,
    details: {
      ...(row.runId ? { run_id: row.runId } : {}),
      ...(row.jobId ? { job_id: row.jobId } : {}),
      ...(row.tapeId ? { tape_id: row.tapeId } : {}),
      ...(row.driveId ? { drive_id: row.driveId } : {}),
      ...(row.agentId ? { agent_id: row.agentId } : {}),
    },
    timestamp: row.at.toISOString(),
    kind: row.kind,
    severity: row.severity,
    href: row.href,
  };
}

/** The latest events, newest last as upstream's history is, at most `limit`. */
export async function listRecentEvents(
  ctx: ServiceCtx,
  reader: EventReader,
  options: { limit: number; before?: number },
): Promise<MonitorEvent[]> {
  const rows = await ctx.db.query.events.findMany({
    where: options.before
      ? and(lt(events.id, options.before), eventsVisibleTo(reader))
      : eventsVisibleTo(reader),
    orderBy: desc(events.id),
    limit: options.limit,
  });
  return rows.reverse().map(toMonitorEvent);
}
