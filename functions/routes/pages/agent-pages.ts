import { z } from "zod";
import { renderDocument } from "../../../views/html.ts";
import { AgentsPage, EnrollmentToken } from "../../../views/pages/agents.tsx";
import { createAgent, createAgentInput } from "../../services/agents/create-agent.ts";
import { listAgents } from "../../services/agents/list-agents.ts";
import { moveAgent, moveAgentInput } from "../../services/agents/move-agent.ts";
import { requestRescan } from "../../services/agents/request-rescan.ts";
import { listDrives } from "../../services/drives/list-drives.ts";
import { startScan, startScanInput } from "../../services/scans/start-scan.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { movedDetails } from "../api/agents.ts";
import { auditTarget, principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** Agents and their drives, enrolling a new agent, and scanning a tape in a drive. */
export function registerAgentPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/agents", permission: "read", summary: "Agents", query: siteFilter },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const [agents, agentDrives, sites] = await Promise.all([
        listAgents(ctx, query),
        listDrives(ctx, { limit: 500 }, query),
        listSites(ctx),
      ]);
      const agentName = new Map(agents.items.map((a) => [a.id, a.name]));
      return c.html(
        renderDocument(
          AgentsPage({
            layout: await layoutFor(c),
            isAdmin: can(c, "admin"),
            canOperate: can(c, "operate"),
            now: ctx.now(),
            agents: agents.items,
            drives: agentDrives.items.map((d) => ({
              ...d,
              agentName: agentName.get(d.agentId) ?? d.agentId,
            })),
            sites: sites.items,
            site: query.site ?? null,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/drives/:id/scan",
      params: idParams,
      permission: "operate",
      summary: "Scan the tape in a drive into the catalog",
      audit: "drive.scan",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(startScanInput, { barcode: f.barcode?.trim() || undefined });
      const run = await startScan(serviceCtx(c), params.id, input, principalOf(c).username);
      return ok(c, `Scan queued as run ${run.id}: its log will list what was added`, 202);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/agents/:id/rescan",
      params: z.object({ id: z.string().uuid() }),
      permission: "operate",
      summary: "Ask an agent to rerun drive detection",
      audit: "agent.rescan_request",
    },
    async (c, { params }) => {
      const order = await requestRescan(serviceCtx(c), params.id);
      return ok(
        c,
        `Asked ${order.agent} to detect its drives again; the list below follows its next heartbeat`,
        202,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/agents/:id/move",
      params: z.object({ id: z.string().uuid() }),
      permission: "admin",
      summary: "Move a tape host to another site, with its drives and the tapes in its library",
      audit: "agent.move",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(moveAgentInput, { toSiteId: Number(f.toSiteId) || undefined, note: f.note });
      const moved = await moveAgent(serviceCtx(c), params.id, input, principalOf(c).username);
      auditTarget(c, params.id, movedDetails(moved));
      const tapes = moved.tapes.length ? `: ${moved.tapes.map((t) => t.barcode).join(", ")}` : "";
      const jobs = moved.jobs.length
        ? ` These jobs now run against a host at site ${moved.to.name}: ${moved.jobs
            .map((j) => (j.warnings.length ? `${j.name} (${j.warnings.join("; ")})` : j.name))
            .join(", ")}.`
        : "";
      return ok(
        c,
        `Moved ${moved.agent.name} to site ${moved.to.name} with ${moved.tapes.length} tape(s) of its library${tapes}.${jobs}`,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/agents",
      permission: "admin",
      summary: "Create an agent (token shown once)",
      audit: "agent.create",
    },
    async (c) => {
      const f = await formFields(c);
      const created = await createAgent(
        serviceCtx(c),
        parseForm(createAgentInput, { name: f.name, site: f.site ?? null }),
      );
      c.header("Cache-Control", "no-store");
      return c.html(
        EnrollmentToken({
          hubUrl: new URL(c.req.url).origin,
          token: created.enrollmentToken,
          name: created.agent.name,
        }).value,
        201,
      );
    },
  );
}
