import { auditLogs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

export interface AuditEvent {
  userId: number | null;
  actor: string;
  action: string;
  target: string | null;
  outcome: "success" | "failure" | "denied";
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  /** The site of the object acted on, when it is at one. */
  siteId?: number | null;
}

/** Appends one audit row. Callers must never put secrets (passwords, keys, tokens) in details. */
export async function recordAudit(ctx: ServiceCtx, event: AuditEvent): Promise<void> {
  await ctx.db.insert(auditLogs).values({ ...event, at: ctx.now() });
}
