import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { catalogSnapshotOrder } from "../../services/orders/catalog-snapshot-order.ts";
import { serviceCtx } from "../api/context.ts";
import type { ApiRouter } from "../api/router.ts";

const orderParams = z.object({ orderId: z.string().uuid() });

/** GET /agent/v1/orders/:orderId/catalog-snapshot: the catalog file a catalog backup writes. */
export function registerCatalogSnapshotRoute(agentApi: ApiRouter): void {
  agentApi.route(
    {
      method: "GET",
      path: "/orders/:orderId/catalog-snapshot",
      permission: "agent",
      tag: "agent-protocol",
      params: orderParams,
      summary: "A consistent snapshot of the catalog (SQLite file) for the agent's catalog-backup order",
    },
    async (c: Context<AppEnv>, { params }) => {
      const agent = c.get("agent");
      if (!agent) throw new AppError("unauthorized", "Agent token required");
      await catalogSnapshotOrder(serviceCtx(c), agent.agentId, params.orderId);
      const snapshot = c.get("deps").catalogSnapshot;
      if (!snapshot)
        throw new AppError(
          "conflict",
          "This hub's catalog cannot be snapshotted here: catalog backups need the Node hub with its embedded catalog file (on workerd, export D1 with wrangler d1 export)",
        );
      const { size, stream } = await snapshot();
      return new Response(stream, {
        headers: { "content-type": "application/vnd.sqlite3", "content-length": String(size) },
      });
    },
  );
}
