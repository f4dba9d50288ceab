import { and, eq } from "drizzle-orm";
import { EnrollRequest, type EnrollResponse } from "../../../contracts/agent-protocol.ts";
import { agents } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { sha256Hex } from "../../security/crypto.ts";
import { syncHardware } from "./sync-hardware.ts";

export async function enrollAgent(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  raw: unknown,
): Promise<EnrollResponse> {
  const input = EnrollRequest.parse(raw);
  const hash = await sha256Hex(input.token);
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.enrollmentTokenHash, hash) });
  const now = ctx.now();
  if (!agent?.enrollmentExpiresAt || agent.enrollmentExpiresAt <= now) {
    throw new AppError("unauthorized", "Unknown or expired enrollment token; ask an admin for a new one");
  }
  // Conditional on the token hash, so one token enrolls exactly one key even under a race.
  const claimed = await ctx.db
    .update(agents)
    .set({
      publicKey: JSON.stringify({ signing: input.signingKey, encryption: input.encryptionKey }),
      enrollmentTokenHash: null,
      enrollmentExpiresAt: null,
      state: "online",
      hostname: input.hostname,
      version: input.version,
      lastSeenAt: now,
      updatedAt: now,
    })
    .where(and(eq(agents.id, agent.id), eq(agents.enrollmentTokenHash, hash)))
    .returning({ id: agents.id });
  if (claimed.length === 0) throw new AppError("unauthorized", "This enrollment token was already used");
  await syncHardware(ctx, agent.id, input.drives, input.changers);
  return { agentId: agent.id, hubSigningKey: secrets.orderKey.publicJwk };
}
