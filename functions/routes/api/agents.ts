import { z } from "zod";
import { createAgent, createAgentInput } from "../../services/agents/create-agent.ts";
import { deleteAgent } from "../../services/agents/delete-agent.ts";
import { getAgent } from "../../services/agents/get-agent.ts";
import { listAgents } from "../../services/agents/list-agents.ts";
import { moveAgent, moveAgentInput } from "../../services/agents/move-agent.ts";
import { renewEnrollment } from "../../services/agents/renew-enrollment.ts";
import { requestRescan } from "../../services/agents/request-rescan.ts";
import { listDrives } from "../../services/drives/list-drives.ts";
import { listMonitorDrives } from "../../services/monitor/list-monitor-drives.ts";
import { startScan, startScanInput } from "../../services/scans/start-scan.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, pageQuery } from "./router.ts";

const agentParams = z.object({ id: z.string().uuid() });
const driveParams = z.object({ id: z.coerce.number().int().positive() });

export function registerAgentRoutes(api: ApiRouter): void {
  const tag = "agents";
  api.route(
    {
      method: "GET",
      path: "/agents",
      permission: "read",
      tag,
      summary: "Agents with their state and last-seen time",
      query: siteFilter,
    },
    async (c, { query }) => c.json(await listAgents(serviceCtx(c), query)),
  );
  api.route(
    {
      method: "GET",
      path: "/agents/:id",
      permission: "read",
      tag,
      summary: "An agent with its drives and changers",
      params: agentParams,
    },
    async (c, { params }) => c.json(await getAgent(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "POST",
      path: "/agents",
      permission: "admin",
      tag,
      summary: "Create an agent; the one-time enrollment token is in this response only",
      body: createAgentInput,
      audit: "agent.create",
      success: { status: 201, description: "{ agent, enrollmentToken }" },
    },
    async (c, { body }) => {
      const created = await createAgent(serviceCtx(c), body);
      auditTarget(c, created.agent.id, { name: created.agent.name });
      c.header("Cache-Control", "no-store");
      return c.json(created, 201);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/agents/:id/enrollment-token",
      permission: "admin",
      tag,
      summary: "A new enrollment token (re-enroll a rebuilt host); the agent's old key stops working",
      params: agentParams,
      audit: "agent.renew_enrollment",
    },
    async (c, { params }) => {
      c.header("Cache-Control", "no-store");
      return c.json(await renewEnrollment(serviceCtx(c), params.id));
    },
  );
  api.route(
    {
      method: "POST",
      path: "/agents/:id/rescan",
      permission: "operate",
      tag,
      summary: "Ask the agent to rerun drive detection: new drives appear, vanished ones are marked missing",
      params: agentParams,
      audit: "agent.rescan_request",
      success: { status: 202, description: "The queued detect order" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      return c.json(await requestRescan(serviceCtx(c), params.id), 202);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/agents/:id/move",
      permission: "admin",
      tag,
      summary:
        "Move a tape host to another site with its drives, changers and the tapes in its library (each a recorded tape move); refused while a run of it has not ended. The answer lists the jobs that now run at the new site",
      params: agentParams,
      body: moveAgentInput,
      audit: "agent.move",
    },
    async (c, { params, body }) => {
      const moved = await moveAgent(serviceCtx(c), params.id, body, principalOf(c).username);
      auditTarget(c, params.id, movedDetails(moved));
      return c.json(moved);
    },
  );
  api.route(
    {
      method: "DELETE",
      path: "/agents/:id",
      permission: "admin",
      tag,
      summary: "Remove an agent",
      params: agentParams,
      audit: "agent.delete",
      success: { status: 204, description: "Deleted" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      await deleteAgent(serviceCtx(c), params.id);
      return c.body(null, 204);
    },
  );
  api.route(
    {
      method: "GET",
      path: "/drives",
      permission: "read",
      tag: "drives",
      summary:
        "All drives of all agents; to a caller with X-API-Key (upstream's monitor clients), an array in upstream's drive shape",
      query: pageQuery.extend(siteFilter.shape),
    },
    async (c, { query }) =>
      c.req.header("x-api-key") && c.get("principal")?.via === "api-key"
        ? c.json(await listMonitorDrives(serviceCtx(c)))
        : c.json(await listDrives(serviceCtx(c), query)),
  );
  api.route(
    {
      method: "POST",
      path: "/drives/:id/scan",
      permission: "operate",
      tag: "drives",
      summary:
        "Scan the tape in the drive (or the named cartridge of its changer): add its sets to the catalog",
      params: driveParams,
      body: startScanInput,
      audit: "drive.scan",
      success: { status: 202, description: "The queued scan run" },
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { barcode: body.barcode ?? null });
      return c.json(await startScan(serviceCtx(c), params.id, body, principalOf(c).username), 202);
    },
  );
}

/** What the audit row of a host's move keeps: both sites, the tapes carried and the jobs that follow. */
export function movedDetails(moved: Awaited<ReturnType<typeof moveAgent>>) {
  return {
    name: moved.agent.name,
    fromSiteId: moved.from?.id ?? null,
    fromSite: moved.from?.name ?? null,
    toSiteId: moved.to.id,
    toSite: moved.to.name,
    tapes: moved.tapes.map((t) => t.barcode),
    jobs: moved.jobs.map((j) => j.name),
  };
}
