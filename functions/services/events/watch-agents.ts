import { and, desc, eq, inArray, isNotNull } from "drizzle-orm";
import { agents, events } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { toPublicAgent } from "../agents/to-public-agent.ts";
import { eventInsert } from "./record-event.ts";

/**
 * Agent offline and back are the passing of time, not a write: each tick compares every
 * enrolled agent's state with its last agent event and records the change once (the dedupe key
 * names the silence it ends or starts, so hub instances ticking together record it once).
 */
export async function watchAgents(ctx: ServiceCtx): Promise<void> {
  const now = ctx.now();
  const rows = await ctx.db.query.agents.findMany({ where: isNotNull(agents.publicKey), limit: 500 });
  for (const row of rows) {
    const agent = toPublicAgent(row, now);
    const [last] = await ctx.db
      .select({ id: events.id, kind: events.kind })
      .from(events)
      .where(and(eq(events.agentId, row.id), inArray(events.kind, ["agent.offline", "agent.back"])))
      .orderBy(desc(events.id))
      .limit(1);
    const offline = agent.state === "offline";
    const seen = row.lastSeenAt?.toISOString() ?? "enrollment";
    if (offline && last?.kind !== "agent.offline")
      await eventInsert(ctx, {
        kind: "agent.offline",
        text: `Agent ${row.name} has not been heard from since ${seen}; its drives get no work.`,
        action: "Check that the drive-agent service runs on its host and can reach the hub.",
        href: "/agents",
        agentId: row.id,
        dedupeKey: `agent.offline:${row.id}:${row.lastSeenAt?.getTime() ?? 0}`,
      });
    else if (!offline && last?.kind === "agent.offline")
      await eventInsert(ctx, {
        kind: "agent.back",
        text: `Agent ${row.name} is back online.`,
        href: "/agents",
        agentId: row.id,
        dedupeKey: `agent.back:${row.id}:${last.id}`,
      });
  }
}
