import { eq } from "drizzle-orm";
import { agents, changers, drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { toPublicAgent } from "./to-public-agent.ts";

export async function getAgent(ctx: ServiceCtx, id: string) {
  const agent = getOrThrow(await ctx.db.query.agents.findFirst({ where: eq(agents.id, id) }), "Agent", id);
  const agentDrives = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, id) });
  const agentChangers = await ctx.db.query.changers.findMany({ where: eq(changers.agentId, id) });
  return { ...toPublicAgent(agent, ctx.now()), drives: agentDrives, changers: agentChangers };
}
