import { eq, sql } from "drizzle-orm";
import { LogLines } from "../../../contracts/agent-protocol.ts";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { logInserts } from "./log-inserts.ts";
import { onceAtMost } from "./once-at-most.ts";
import type { OrderRow } from "./order-of.ts";

export async function appendLogs(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const { lines, seq } = LogLines.parse(raw);
  if (!order.runId) return;
  const runId = order.runId;
  const warnings = lines.filter((l) => l.level === "warn" || l.level === "error").length;
  await onceAtMost(ctx, order, seq, [
    ctx.db
      .update(jobRuns)
      .set({ warnings: sql`${jobRuns.warnings} + ${warnings}` })
      .where(eq(jobRuns.id, runId)),
    ...logInserts(
      ctx,
      runId,
      lines.map((l) => [new Date(l.at).getTime(), l.level, l.message, l.path ?? null]),
    ),
  ]);
}
