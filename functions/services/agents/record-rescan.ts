import { eq } from "drizzle-orm";
import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { recordEvent } from "../events/record-event.ts";
import type { Result } from "../runs/run-result.ts";

/**
 * A detect order's outcome for the operator: audited by "system", and an event naming the drives
 * that appeared or vanished (or why detection failed). The drives themselves follow the
 * heartbeat sent right after the order: a vanished one is kept, marked missing (sync-hardware.ts).
 */
export async function recordRescan(
  ctx: ServiceCtx,
  order: { id: string; agentId: string },
  result: Result,
): Promise<void> {
  const { agentId } = order;
  const dedupeKey = `agent.drives:${order.id}`;
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  const name = agent?.name ?? agentId;
  const found = result.hardware;
  const ok = result.state === "completed" && found !== undefined;
  await recordAudit(ctx, {
    userId: null,
    actor: "system",
    action: "agent.rescan",
    target: agentId,
    outcome: ok ? "success" : "failure",
    ip: null,
    requestId: null,
    details: ok ? { ...found } : { error: result.error },
  });
  if (!ok) {
    await recordEvent(ctx, {
      kind: "agent.drives",
      severity: "error",
      text: `Drive detection on ${name} failed: ${result.error ?? result.state}`,
      action: "Check the tape host (lsscsi, dmesg); its enrolled drives are kept.",
      agentId,
      href: "/agents",
      dedupeKey,
    });
    return;
  }
  const words = [
    found.added.length ? `new: ${found.added.join(", ")}` : null,
    found.missing.length ? `missing: ${found.missing.join(", ")}` : null,
  ].filter(Boolean);
  await recordEvent(ctx, {
    kind: "agent.drives",
    severity: found.missing.length ? "warning" : "info",
    text: `Rescan of ${name} found ${found.drives.length} drive(s)${words.length ? ` (${words.join("; ")})` : ", as before"}`,
    ...(found.missing.length
      ? { action: "A missing drive is kept with its history; check its cabling or power, then rescan." }
      : {}),
    agentId,
    href: "/agents",
    dedupeKey,
  });
}
