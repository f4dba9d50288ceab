import type { Context } from "hono";
import { z } from "zod";
import {
  CatalogChunkHeader,
  EnrollRequest,
  HeartbeatRequest,
  LogLines,
  MAX_POLL_WAIT_SECONDS,
  OrderResult,
  ProgressReport,
  RestoreFileResults,
  ScanSegmentDone,
  ScanSetReport,
  ScanTapeReport,
  SegmentReport,
  type TapeTarget,
} from "../../../contracts/agent-protocol.ts";
import type { AppEnv } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { enrollAgent } from "../../services/agents/enroll-agent.ts";
import { heartbeat } from "../../services/agents/heartbeat.ts";
import { touchAgent } from "../../services/agents/touch-agent.ts";
import { acknowledgeOrder } from "../../services/orders/acknowledge-order.ts";
import { appendLogs } from "../../services/orders/append-logs.ts";
import { deliverNextOrder } from "../../services/orders/deliver-order.ts";
import { finishOrder } from "../../services/orders/finish-order.ts";
import { ingestCatalogChunk } from "../../services/orders/ingest-catalog-chunk.ts";
import { orderOf } from "../../services/orders/order-of.ts";
import { reclaimUnacknowledged } from "../../services/orders/reclaim-unacknowledged.ts";
import { recordRestoreFiles } from "../../services/orders/record-restore-files.ts";
import { recordSegment } from "../../services/orders/record-segment.ts";
import { reportProgress } from "../../services/orders/report-progress.ts";
import { signTapeOffer } from "../../services/orders/sign-tape-offer.ts";
import { dispatchQueuedRuns } from "../../services/runs/dispatch-runs.ts";
import { finishScannedSegment } from "../../services/scans/finish-scanned-segment.ts";
import { recordScannedSet } from "../../services/scans/record-scanned-set.ts";
import { recordScannedTape } from "../../services/scans/record-scanned-tape.ts";
import { auditTarget, serviceCtx } from "../api/context.ts";
import type { ApiRouter } from "../api/router.ts";

const orderParams = z.object({ orderId: z.string().uuid() });
const pollQuery = z.object({ wait: z.coerce.number().int().min(0).max(MAX_POLL_WAIT_SECONDS).default(25) });

function agentId(c: Context<AppEnv>): string {
  const agent = c.get("agent");
  if (!agent) throw new AppError("unauthorized", "Agent token required");
  return agent.agentId;
}

/** The drive-agent protocol (contracts/agent-protocol.ts). Agents call in; nothing calls them. */
export function registerAgentProtocol(agentApi: ApiRouter): void {
  const tag = "agent-protocol";
  agentApi.route(
    {
      method: "POST",
      path: "/enroll",
      permission: "public",
      tag,
      summary: "Enroll with a one-time token",
      body: EnrollRequest,
      audit: "agent.enroll",
    },
    async (c, { body }) => {
      const enrolled = await enrollAgent(serviceCtx(c), c.get("deps").secrets, body);
      auditTarget(c, enrolled.agentId, { hostname: body.hostname });
      return c.json(enrolled);
    },
  );
  agentApi.route(
    {
      method: "POST",
      path: "/heartbeat",
      permission: "agent",
      tag,
      summary: "Drives and changers as the agent sees them",
      body: HeartbeatRequest,
      audit: false,
    },
    async (c, { body }) => {
      await heartbeat(serviceCtx(c), agentId(c), body);
      return c.body(null, 204);
    },
  );
  agentApi.route(
    {
      method: "GET",
      path: "/orders/next",
      permission: "agent",
      tag,
      summary: "Long poll for the next signed work order",
      query: pollQuery,
    },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const { secrets, config, orderWake } = c.get("deps");
      const id = agentId(c);
      const deadline = Date.now() + query.wait * 1000;
      await touchAgent(ctx, id);
      await reclaimUnacknowledged(ctx, id);
      await dispatchQueuedRuns(ctx);
      // Watching before the first look: an order queued between a look and the wait still wakes it.
      const watch = orderWake?.watch(id);
      try {
        for (;;) {
          const order = await deliverNextOrder(ctx, secrets, id);
          if (order) return c.json({ order });
          const left = deadline - Date.now();
          if (left <= 0 || c.req.raw.signal.aborted) return c.body(null, 204);
          const recheck = Math.min(left, config.POLL_INTERVAL_MS);
          if (watch) await watch.next(recheck, c.req.raw.signal);
          else await new Promise((resolve) => setTimeout(resolve, recheck));
        }
      } finally {
        watch?.close();
      }
    },
  );
  const orderRoute = <S extends z.ZodType>(
    path: string,
    summary: string,
    body: S | undefined,
    handle: (
      c: Context<AppEnv>,
      order: Awaited<ReturnType<typeof orderOf>>,
      body: unknown,
    ) => Promise<Response>,
  ) =>
    agentApi.route(
      {
        method: "POST",
        path: `/orders/:orderId/${path}`,
        permission: "agent",
        tag,
        summary,
        params: orderParams,
        ...(body ? { body } : {}),
        audit: false,
      },
      async (c, input) =>
        handle(c, await orderOf(serviceCtx(c), agentId(c), input.params.orderId), input.body),
    );
  orderRoute("ack", "The agent accepted the order", undefined, async (c, order) => {
    await acknowledgeOrder(serviceCtx(c), order);
    return c.body(null, 204);
  });
  orderRoute(
    "progress",
    "Progress (≤ 2 s apart); the answer says continue, pause or cancel",
    ProgressReport,
    async (c, order, body) => {
      const ctx = serviceCtx(c);
      const sign = (tapes: TapeTarget[]) =>
        signTapeOffer(c.get("deps").secrets, { agentId: order.agentId, orderId: order.id, tapes }, ctx.now());
      return c.json(await reportProgress(ctx, order, body, sign));
    },
  );
  orderRoute("logs", "Job log lines", LogLines, async (c, order, body) => {
    await appendLogs(serviceCtx(c), order, body);
    return c.body(null, 204);
  });
  orderRoute(
    "catalog",
    "A catalog chunk; a re-sent sequence number is a no-op",
    CatalogChunkHeader,
    async (c, order, body) => c.json(await ingestCatalogChunk(serviceCtx(c), order, body)),
  );
  orderRoute("segments", "A set's data and TOC closed on one tape", SegmentReport, async (c, order, body) => {
    await recordSegment(serviceCtx(c), order, body);
    return c.body(null, 204);
  });
  orderRoute(
    "restore-files",
    "Per-file outcomes of a restore",
    RestoreFileResults,
    async (c, order, body) => {
      await recordRestoreFiles(serviceCtx(c), order, body);
      return c.body(null, 204);
    },
  );
  orderRoute("scan/tape", "A scanned tape's identity", ScanTapeReport, async (c, order, body) =>
    c.json(await recordScannedTape(serviceCtx(c), order, body)),
  );
  orderRoute(
    "scan/set",
    "One TOC of a scanned tape; answers whether it is new",
    ScanSetReport,
    async (c, order, body) => c.json(await recordScannedSet(serviceCtx(c), order, body)),
  );
  orderRoute(
    "scan/segment",
    "Every catalog chunk of a scanned TOC was sent",
    ScanSegmentDone,
    async (c, order, body) => {
      await finishScannedSegment(serviceCtx(c), order, body);
      return c.body(null, 204);
    },
  );
  orderRoute("result", "The order's final state", OrderResult, async (c, order, body) => {
    await finishOrder(serviceCtx(c), order, body);
    return c.body(null, 204);
  });
}
