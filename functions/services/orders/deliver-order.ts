import { and, asc, eq, gt, sql } from "drizzle-orm";
import {
  encryptionOf,
  type OrderBody,
  OrderBody as OrderBodySchema,
  pveSourceOf,
  withDataKeyJwe,
  withPveTokenJwe,
} from "../../../contracts/agent-protocol.ts";
import { agents, workOrders } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import type { AgentKeys } from "../agents/agent-auth.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { revealDataKey } from "../encryption-keys/reveal-data-key.ts";
import { preparedPerDb } from "../shared/prepared-per-db.ts";
import { revealPveToken } from "../sources/reveal-pve-token.ts";
import { sealDataKey } from "./seal-data-key.ts";
import { signOrder } from "./sign-order.ts";

/** The poll's look, made at its start and at every wake or re-check: prepared once per catalog. */
const pendingOrders = preparedPerDb((db) =>
  db.query.workOrders
    .findMany({
      where: and(
        eq(workOrders.agentId, sql.placeholder("agentId")),
        eq(workOrders.state, "pending"),
        gt(workOrders.expiresAt, sql.placeholder("now")),
      ),
      orderBy: asc(workOrders.createdAt),
      limit: 5,
    })
    .prepare(),
);

/**
 * Hands the agent its oldest pending order, if any, as a freshly signed JWS. The state change
 * is conditional, so two hub instances answering two polls never deliver one order twice.
 */
export async function deliverNextOrder(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  agentId: string,
): Promise<string | null> {
  const now = ctx.now();
  const pending = await pendingOrders(ctx.db).execute({ agentId, now: now.getTime() });
  for (const order of pending) {
    const claimed = await ctx.db
      .update(workOrders)
      .set({ state: "delivered", deliveredAt: now })
      .where(and(eq(workOrders.id, order.id), eq(workOrders.state, "pending")))
      .returning({ id: workOrders.id });
    if (claimed.length === 0) continue;
    const body = OrderBodySchema.parse(order.payload);
    return signOrder(
      secrets,
      {
        id: order.id,
        agentId,
        body: await withSealedPveToken(
          ctx,
          secrets,
          agentId,
          await withSealedKey(ctx, secrets, agentId, body, order.payload, order.id),
        ),
      },
      now,
    );
  }
  return null;
}

async function withSealedKey(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  agentId: string,
  body: OrderBody,
  payload: Record<string, unknown>,
  orderId: string,
): Promise<OrderBody> {
  const keyId = payload.encryptionKeyId;
  const encryption = encryptionOf(body);
  if (!encryption || encryption.algorithm === "none" || typeof keyId !== "number") return body;
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  const keys = JSON.parse(agent?.publicKey ?? "null") as AgentKeys | null;
  if (!keys) throw new Error(`agent ${agentId} has no registered keys`);
  const { key, fingerprint } = await revealDataKey(ctx, secrets, keyId);
  const sealed = withDataKeyJwe(body, await sealDataKey(keys, key));
  // Every use of a data key is audited: which order, which agent, which key (never the key).
  await recordAudit(ctx, {
    userId: null,
    actor: "hub",
    action: "encryption_key.use",
    target: String(keyId),
    outcome: "success",
    ip: null,
    requestId: null,
    details: { fingerprint, kind: body.kind, agentId, orderId },
  });
  return sealed;
}

/** A guest order's PVE token secret, sealed to the agent at each delivery like a data key. */
async function withSealedPveToken(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  agentId: string,
  body: OrderBody,
): Promise<OrderBody> {
  const sourceId = pveSourceOf(body);
  if (sourceId === null) return body;
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  const keys = JSON.parse(agent?.publicKey ?? "null") as AgentKeys | null;
  if (!keys) throw new Error(`agent ${agentId} has no registered keys`);
  const secret = await revealPveToken(ctx, secrets, sourceId);
  try {
    return withPveTokenJwe(body, await sealDataKey(keys, secret));
  } finally {
    secret.fill(0);
  }
}
