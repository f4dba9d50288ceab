import { and, asc, eq, gt, lt, lte } from "drizzle-orm";
import {
  encryptionOf,
  type OrderBody,
  OrderBody as OrderBodySchema,
  withDataKeyJwe,
} from "../../../contracts/agent-protocol.ts";
import { agents, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import type { AgentKeys } from "../agents/agent-auth.ts";
import { revealDataKey } from "../encryption-keys/reveal-data-key.ts";
import { sealDataKey, signOrder } from "./sign-order.ts";

/** An order delivered but not acknowledged within this time is taken back and its run requeued. */
export const ACK_TIMEOUT_MS = 120_000;

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
  const pending = await ctx.db.query.workOrders.findMany({
    where: and(
      eq(workOrders.agentId, agentId),
      eq(workOrders.state, "pending"),
      gt(workOrders.expiresAt, now),
    ),
    orderBy: asc(workOrders.createdAt),
    limit: 5,
  });
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
      { id: order.id, agentId, body: await withSealedKey(ctx, secrets, agentId, body, order.payload) },
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
): Promise<OrderBody> {
  const keyId = payload.encryptionKeyId;
  const encryption = encryptionOf(body);
  if (!encryption || encryption.algorithm === "none" || typeof keyId !== "number") return body;
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  const keys = JSON.parse(agent?.publicKey ?? "null") as AgentKeys | null;
  if (!keys) throw new Error(`agent ${agentId} has no registered keys`);
  const { key } = await revealDataKey(ctx, secrets, keyId);
  return withDataKeyJwe(body, await sealDataKey(keys, key));
}

/** Takes back orders delivered but never acknowledged; once per poll request is enough. */
export async function reclaimUnacknowledged(ctx: ServiceCtx, agentId: string): Promise<void> {
  const cutoff = new Date(ctx.now().getTime() - ACK_TIMEOUT_MS);
  const stale = await ctx.db
    .update(workOrders)
    .set({ state: "expired", finishedAt: ctx.now() })
    .where(
      and(
        eq(workOrders.agentId, agentId),
        eq(workOrders.state, "delivered"),
        lt(workOrders.deliveredAt, cutoff),
      ),
    )
    .returning({ runId: workOrders.runId, kind: workOrders.kind, agentId: workOrders.agentId });
  await takeBackRuns(ctx, stale, "did not acknowledge");
}

/**
 * Orders no agent collected before they expired (the agent was stopped or cut off): the run
 * must not sit queued for ever. Called by every scheduler tick.
 */
export async function expireUncollectedOrders(ctx: ServiceCtx): Promise<void> {
  const now = ctx.now();
  const expired = await ctx.db
    .update(workOrders)
    .set({ state: "expired", finishedAt: now })
    .where(and(eq(workOrders.state, "pending"), lte(workOrders.expiresAt, now)))
    .returning({ runId: workOrders.runId, kind: workOrders.kind, agentId: workOrders.agentId });
  await takeBackRuns(ctx, expired, "did not collect");
}

/**
 * A backup run goes back to the queue (the dispatcher picks a drive again). Any other run was
 * planned for one drive and tape, so it fails with words saying nothing was read or written.
 */
async function takeBackRuns(
  ctx: ServiceCtx,
  orders: { runId: number | null; kind: string; agentId: string }[],
  what: string,
): Promise<void> {
  const now = ctx.now();
  for (const order of orders) {
    if (order.runId === null) continue;
    const open = and(eq(jobRuns.id, order.runId), eq(jobRuns.state, "queued"));
    if (order.kind === "backup") {
      await ctx.db
        .update(jobRuns)
        .set({
          state: "queued",
          agentId: null,
          driveId: null,
          operatorMessage: `The agent ${what} the order in time; queued again`,
        })
        .where(open);
      continue;
    }
    const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, order.agentId) });
    await ctx.db
      .update(jobRuns)
      .set({
        state: "failed",
        finishedAt: now,
        operatorMessage: null,
        error: `Agent ${agent?.name ?? order.agentId} ${what} the ${order.kind} order in time (is it running and online?). Nothing was read or written; start it again once the agent is back.`,
      })
      .where(open);
  }
}
