import { eq, sql } from "drizzle-orm";
import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { preparedPerDb } from "../shared/prepared-per-db.ts";

/** Every poll marks its agent seen: prepared once per catalog (the time as epoch ms, as stored). */
const markSeen = preparedPerDb((db) =>
  db
    .update(agents)
    .set({ lastSeenAt: sql`${sql.placeholder("now")}`, state: "online" })
    .where(eq(agents.id, sql.placeholder("id")))
    .prepare(),
);

export async function touchAgent(ctx: ServiceCtx, agentId: string) {
  await markSeen(ctx.db).run({ id: agentId, now: ctx.now().getTime() });
}
