import { eq } from "drizzle-orm";
import { z } from "zod";
import { agents, sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { sha256Hex } from "../../security/crypto.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName } from "../shared/input-schemas.ts";
import { activeSite } from "../sites/active-site.ts";
import { ENROLLMENT_TTL_MS, newEnrollmentToken } from "./enrollment-token.ts";
import { toPublicAgent } from "./to-public-agent.ts";

export const createAgentInput = z.object({
  name: displayName(),
  /** A site by id, or by name (made when new, as enrollment always did). */
  siteId: z.number().int().positive().nullish(),
  site: displayName().nullish(),
});

async function siteId(ctx: ServiceCtx, input: z.output<typeof createAgentInput>): Promise<number | null> {
  if (input.siteId) return (await activeSite(ctx, input.siteId)).id;
  const name = input.site;
  if (!name) return null;
  await ctx.db.insert(sites).values({ name, createdAt: ctx.now() }).onConflictDoNothing();
  const site = await ctx.db.query.sites.findFirst({ where: eq(sites.name, name) });
  return site ? (await activeSite(ctx, site.id)).id : null;
}

/** Creates an agent record and its one-time enrollment token (shown once, stored hashed). */
export async function createAgent(ctx: ServiceCtx, input: z.output<typeof createAgentInput>) {
  const token = newEnrollmentToken();
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(agents)
    .values({
      id: crypto.randomUUID(),
      name: input.name,
      siteId: await siteId(ctx, input),
      state: "pending",
      enrollmentTokenHash: await sha256Hex(token),
      enrollmentExpiresAt: new Date(now.getTime() + ENROLLMENT_TTL_MS),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return { agent: toPublicAgent(getOrThrow(row, "Agent", input.name), now), enrollmentToken: token };
}
