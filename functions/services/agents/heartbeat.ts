import { eq } from "drizzle-orm";
import type { ChangerReport, DriveReport } from "../../../contracts/agent-protocol.ts";
import { agents, drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { cleanWhenAsked } from "../drives/clean-when-asked.ts";
import { recordDriveHealth } from "../drives/record-drive-health.ts";
import { eventInsert } from "../events/record-event.ts";
import { linkWarnings } from "./link-warnings.ts";
import { syncHardware } from "./sync-hardware.ts";

export async function heartbeat(
  ctx: ServiceCtx,
  agentId: string,
  report: {
    version: string;
    protocol: number;
    sentAt?: number | undefined;
    drives: DriveReport[];
    changers: ChangerReport[];
  },
) {
  const now = ctx.now();
  const previous = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  // The agent's clock when it sent, against the hub's when it arrived: the transit time counts
  // as skew, which at the limit's scale (seconds) does not matter.
  const clockSkewMs = report.sentAt === undefined ? null : report.sentAt - now.getTime();
  const link = { version: report.version, protocol: report.protocol, clockSkewMs };
  await ctx.db
    .update(agents)
    .set({ lastSeenAt: now, state: "online", ...link })
    .where(eq(agents.id, agentId));
  if (previous)
    await warnOnNewLinkTrouble(ctx, previous, { ...previous, ...link }, report.sentAt ?? now.getTime());
  const before = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, agentId) });
  await syncHardware(ctx, agentId, report.drives, report.changers);
  await recordDriveHealth(ctx, agentId, report.drives, before);
  await cleanWhenAsked(ctx, agentId);
}

type AgentRow = typeof agents.$inferSelect;

/**
 * An event when a warning appears that the previous heartbeat did not have (a new protocol, a
 * clock that drifted past the limit), not on every heartbeat; the attention banner shows it as
 * long as it lasts. The dedupe key names the protocol, or the heartbeat by the agent's clock
 * (a re-sent heartbeat carries the same), so each is recorded once.
 */
async function warnOnNewLinkTrouble(
  ctx: ServiceCtx,
  before: AgentRow,
  after: AgentRow,
  sentAt: number,
): Promise<void> {
  const known = linkWarnings(before);
  for (const warning of linkWarnings(after)) {
    const had = known.some((w) => w.kind === warning.kind);
    if (had && (warning.kind === "clock" || before.protocol === after.protocol)) continue;
    await eventInsert(ctx, {
      kind: warning.kind === "protocol" ? "agent.protocol" : "agent.clock",
      text: warning.text,
      href: "/agents",
      agentId: after.id,
      dedupeKey: `agent.${warning.kind}:${after.id}:${warning.kind === "protocol" ? after.protocol : sentAt}`,
    });
  }
}
