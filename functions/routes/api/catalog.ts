import { z } from "zod";
import { browseQuery, browseSet } from "../../services/catalog/browse-set.ts";
import { getSet } from "../../services/catalog/get-set.ts";
import { listSets } from "../../services/catalog/list-sets.ts";
import { pathVersions, versionsQuery } from "../../services/catalog/path-versions.ts";
import { planRestore, restorePlanInput } from "../../services/catalog/restore-plan.ts";
import { searchCatalog, searchQuery } from "../../services/catalog/search-catalog.ts";
import { startRestore, startRestoreInput } from "../../services/restores/start-restore.ts";
import { rebuildCatalogInput, rebuildSetCatalog } from "../../services/scans/rebuild-catalog.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { startVerify } from "../../services/verifies/start-verify.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams, pageQuery } from "./router.ts";
import type { SiteRef } from "./site-check.ts";

/** What a restore names: its set (where its tapes are now) or job, and the agent or drive to read on. */
const RESTORE_OBJECTS: SiteRef[] = [
  { of: "set", body: "setId" },
  { of: "job", body: "jobId" },
  { of: "agent", body: "agentId" },
  { of: "drive", body: "driveId" },
];

export function registerCatalogRoutes(api: ApiRouter): void {
  const tag = "catalog";
  api.route(
    {
      method: "POST",
      path: "/restores",
      permission: "operate",
      tag: "restores",
      summary: "Start a restore to a directory on a tape host; answers with the run and the plan",
      body: startRestoreInput,
      audit: "restore.start",
      site: RESTORE_OBJECTS,
      success: { status: 202, description: "{ run, plan }" },
    },
    async (c, { body }) => {
      const started = await startRestore(serviceCtx(c), body, principalOf(c).username);
      auditTarget(c, started.run.id, {
        setId: started.plan.set.id,
        destination: body.destination,
        overwrite: body.overwrite,
      });
      return c.json(started, 202);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/restores/plan",
      permission: "read",
      tag: "restores",
      summary: "Plan a restore: the set, the tapes in order, where each is and what to do",
      body: restorePlanInput,
      audit: false,
      site: RESTORE_OBJECTS,
    },
    async (c, { body }) => c.json(await planRestore(serviceCtx(c), body)),
  );
  api.route(
    {
      method: "GET",
      path: "/sets",
      permission: "read",
      tag,
      summary: "Backup sets, newest first",
      query: pageQuery.extend({ jobId: z.coerce.number().int().positive().optional(), ...siteFilter.shape }),
    },
    async (c, { query }) => c.json(await listSets(serviceCtx(c), query, query.jobId, query.site)),
  );
  api.route(
    {
      method: "GET",
      path: "/sets/:id",
      permission: "read",
      tag,
      summary: "A backup set with the tapes (segments) it is on",
      params: idParams,
    },
    async (c, { params }) => c.json(await getSet(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "POST",
      path: "/sets/:id/verify",
      permission: "operate",
      tag,
      summary: "Read the whole set back and check every checksum; the result lands on the set",
      params: idParams,
      audit: "set.verify",
      success: { status: 202, description: "{ run, set, tapes }" },
    },
    async (c, { params }) => {
      const started = await startVerify(serviceCtx(c), params.id, principalOf(c).username);
      auditTarget(c, params.id, { runId: started.run.id });
      return c.json(started, 202);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/sets/:id/rebuild-catalog",
      permission: "operate",
      tag,
      summary: "Rebuild a set's catalog from its tapes' TOCs: one scan run per tape, in order",
      params: idParams,
      body: rebuildCatalogInput,
      audit: "set.rebuild-catalog",
      success: { status: 202, description: "{ set, tapes, runs }" },
    },
    async (c, { params, body }) => {
      const started = await rebuildSetCatalog(serviceCtx(c), params.id, body, principalOf(c).username);
      auditTarget(c, params.id, { runs: started.runs.map((r) => r.id) });
      return c.json(started, 202);
    },
  );
  api.route(
    {
      method: "GET",
      path: "/sets/:id/tree",
      permission: "read",
      tag,
      summary: "One directory of a set, by name (pass nextAfter as after)",
      params: idParams,
      query: browseQuery,
    },
    async (c, { params, query }) => c.json(await browseSet(serviceCtx(c), params.id, query)),
  );
  api.route(
    {
      method: "GET",
      path: "/catalog/versions",
      permission: "read",
      tag,
      summary: "Every version of a path across sets",
      query: versionsQuery,
    },
    async (c, { query }) => c.json(await pathVersions(serviceCtx(c), query.path)),
  );
  api.route(
    {
      method: "GET",
      path: "/catalog/search",
      permission: "read",
      tag,
      summary: "Search names by prefix (q) or glob",
      query: searchQuery,
    },
    async (c, { query }) => c.json(await searchCatalog(serviceCtx(c), query)),
  );
}
