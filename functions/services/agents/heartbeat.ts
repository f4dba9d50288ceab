import { eq } from "drizzle-orm";
import type { ChangerReport, DriveReport } from "../../../contracts/agent-protocol.ts";
import { agents, drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { cleanWhenAsked } from "../drives/clean-when-asked.ts";
import { recordDriveHealth } from "../drives/record-drive-health.ts";
import { syncHardware } from "./sync-hardware.ts";

export async function heartbeat(
  ctx: ServiceCtx,
  agentId: string,
  report: { version: string; drives: DriveReport[]; changers: ChangerReport[] },
) {
  await ctx.db
    .update(agents)
    .set({ lastSeenAt: ctx.now(), state: "online", version: report.version })
    .where(eq(agents.id, agentId));
  const before = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, agentId) });
  await syncHardware(ctx, agentId, report.drives, report.changers);
  await recordDriveHealth(ctx, agentId, report.drives, before);
  await cleanWhenAsked(ctx, agentId);
}
