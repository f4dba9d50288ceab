import { z } from "zod";
import { renderDocument } from "../../../views/html.ts";
import { RestoreBrowse, RestorePlan, RestoreStart } from "../../../views/pages/restore.tsx";
import { browseQuery } from "../../services/catalog/browse-set.ts";
import { browseTree } from "../../services/catalog/browse-tree.ts";
import { planRestore } from "../../services/catalog/restore-plan.ts";
import { restoreChoices, setKeyFingerprints } from "../../services/catalog/restore-start.ts";
import { searchCatalog } from "../../services/catalog/search-catalog.ts";
import { setAsOf } from "../../services/catalog/set-chain.ts";
import { listGuestBackups } from "../../services/guests/list-guest-backups.ts";
import { startRestore, startRestoreInput } from "../../services/restores/start-restore.ts";
import { rebuildSetCatalog } from "../../services/scans/rebuild-catalog.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

const asOfQuery = z.object({ jobId: z.coerce.number().int().positive(), at: z.coerce.date() });

/** Form posts with repeated `paths` fields: all of them, as an array. */
async function formWithPaths(c: Parameters<typeof serviceCtx>[0]) {
  const body = await c.req.parseBody({ all: true });
  const paths = ([] as unknown[]).concat(body.paths ?? []).filter((p): p is string => typeof p === "string");
  const one = (k: string) => (typeof body[k] === "string" ? (body[k] as string).trim() : undefined);
  return { paths, one };
}

export function registerRestorePages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/restore", permission: "read", summary: "Restore wizard: pick a set or search" },
    async (c) => {
      const ctx = serviceCtx(c);
      const query = (c.req.query("q") ?? "").trim().slice(0, 255);
      const { sets, jobs: jobList } = await restoreChoices(ctx);
      const hits = query ? (await searchCatalog(ctx, { q: query, limit: 50 })).items : [];
      const hitKeys = await setKeyFingerprints(
        ctx,
        hits.map((e) => e.setId),
      );
      return c.html(
        renderDocument(
          RestoreStart({
            layout: await layoutFor(c),
            query,
            canOperate: can(c, "operate"),
            jobs: jobList,
            sets,
            guests: (await listGuestBackups(ctx, { limit: 50 }, { state: "completed" })).items.map((g) => ({
              vmid: g.vmid,
              type: g.type,
              name: g.name,
              at: g.createdAt,
              bytes: g.bytes,
              sourceId: g.sourceId,
            })),
            hits: hits.map((e) => ({
              setId: e.setId,
              path: e.dir ? `${e.dir}/${e.name}` : e.name,
              size: e.size,
              keyFingerprint: hitKeys.get(e.setId) ?? null,
            })),
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/restore/as-of",
      permission: "read",
      summary: "Restore wizard: the tree of a job as of a moment",
    },
    async (c) => {
      const input = parseForm(asOfQuery, c.req.query());
      const set = await setAsOf(serviceCtx(c), input.jobId, input.at);
      return c.redirect(`/restore/sets/${set.id}`, 303);
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/restore/sets/:id",
      params: idParams,
      permission: "read",
      summary: "Restore wizard: browse a set",
    },
    async (c, { params }) => {
      const setId = params.id;
      const query = parseForm(browseQuery, c.req.query());
      const tree = await browseTree(serviceCtx(c), setId, query);
      return c.html(
        renderDocument(
          RestoreBrowse({
            layout: await layoutFor(c),
            setId,
            dir: tree.dir,
            chain: tree.chain,
            warnings: tree.warnings,
            entries: tree.items,
            nextAfter: tree.nextAfter,
            canOperate: can(c, "operate"),
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/restore/sets/:id/plan",
      params: idParams,
      permission: "read",
      summary: "Restore wizard: the plan",
      audit: false,
    },
    async (c, { params }) => {
      const setId = params.id;
      const { paths } = await formWithPaths(c);
      const plan = await planRestore(serviceCtx(c), { setId, paths });
      return c.html(
        RestorePlan({
          setId,
          paths,
          files: plan.files,
          bytes: plan.bytes,
          sets: plan.sets,
          tapes: plan.tapes,
          warnings: plan.warnings,
          encrypted: plan.set.encrypted,
          canOperate: can(c, "operate"),
        }).value,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/restore/sets/:id/start",
      params: idParams,
      permission: "operate",
      summary: "Restore wizard: start",
      audit: "restore.start",
    },
    async (c, { params }) => {
      const setId = params.id;
      const { paths, one } = await formWithPaths(c);
      const input = parseForm(startRestoreInput, {
        setId,
        paths,
        destination: one("destination"),
        overwrite: one("overwrite"),
      });
      const { run } = await startRestore(serviceCtx(c), input, principalOf(c).username);
      c.header("HX-Redirect", `/runs/${run.id}`);
      return c.body(null, 202);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/sets/:id/rebuild-catalog",
      params: idParams,
      permission: "operate",
      summary: "Rebuild a set's catalog from its tapes",
      audit: "set.rebuild-catalog",
    },
    async (c, { params }) => {
      const { runs } = await rebuildSetCatalog(serviceCtx(c), params.id, {}, principalOf(c).username);
      c.header("HX-Redirect", `/runs/${runs[0]?.id}`);
      return c.body(null, 202);
    },
  );
}
