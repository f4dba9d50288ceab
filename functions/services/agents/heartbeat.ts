import { eq } from "drizzle-orm";
import type { ChangerReport, DriveReport } from "../../../contracts/agent-protocol.ts";
import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
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
  await syncHardware(ctx, agentId, report.drives, report.changers);
}
