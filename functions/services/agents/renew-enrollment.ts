import { eq } from "drizzle-orm";
import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { sha256Hex } from "../../security/crypto.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { ENROLLMENT_TTL_MS, newEnrollmentToken } from "./enrollment-token.ts";
import { toPublicAgent } from "./to-public-agent.ts";

/** A new token for an agent (re-enrollment after a host rebuild); the old key stops working. */
export async function renewEnrollment(ctx: ServiceCtx, id: string) {
  const token = newEnrollmentToken();
  const now = ctx.now();
  const [row] = await ctx.db
    .update(agents)
    .set({
      enrollmentTokenHash: await sha256Hex(token),
      enrollmentExpiresAt: new Date(now.getTime() + ENROLLMENT_TTL_MS),
      publicKey: null,
      state: "pending",
      updatedAt: now,
    })
    .where(eq(agents.id, id))
    .returning();
  return { agent: toPublicAgent(getOrThrow(row, "Agent", id), now), enrollmentToken: token };
}
