import { eq, or } from "drizzle-orm";
import { z } from "zod";
import { renderDocument } from "../../../views/html.ts";
import { AgentsPage, EnrollmentToken } from "../../../views/pages/agents.tsx";
import { JobPage, JobsPage } from "../../../views/pages/jobs.tsx";
import { LogTail, RunLive, RunPage } from "../../../views/pages/run.tsx";
import { TapePage } from "../../../views/pages/tape.tsx";
import { TapesPage } from "../../../views/pages/tapes.tsx";
import { backupSetSegments, backupSets, drives, TAPE_STATES } from "../../db/schema/index.ts";
import { createAgent, createAgentInput, listAgents, listDrives } from "../../services/agents/agents.ts";
import { listEncryptionKeys } from "../../services/encryption-keys.ts";
import {
  createJob,
  createJobInput,
  getJob,
  listJobs,
  updateJob,
  updateJobInput,
} from "../../services/jobs.ts";
import {
  createPool,
  createPoolInput,
  getPool,
  listPools,
  updatePool,
  updatePoolInput,
} from "../../services/pools.ts";
import {
  cancelRun,
  getRun,
  latestRuns,
  pauseRun,
  resumeRun,
  retryRun,
  runLogs,
} from "../../services/runs/control-run.ts";
import { queueRun } from "../../services/runs/queue-run.ts";
import { startScan, startScanInput } from "../../services/scans/start-scan.ts";
import {
  createSource,
  createSourceInput,
  getSource,
  listSources,
  updateSource,
  updateSourceInput,
} from "../../services/sources.ts";
import {
  createTape,
  createTapeInput,
  getTape,
  listTapes,
  tapeFilter,
  updateTape,
  updateTapeInput,
} from "../../services/tapes.ts";
import { labelTapeInput, requestLabel } from "../../services/tapes-label.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, list, num, ok, parseForm } from "./form.ts";
import { cursorQuery, type PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

const ALL = { limit: 500 };

/** The source form's fields as the service takes them (new source and edit alike). */
const sourceForm = (f: Record<string, string>) => ({
  name: f.name,
  kind: f.kind,
  agentId: f.agentId ?? null,
  paths: list(f.paths),
  exclude: list(f.exclude),
});

const poolForm = (f: Record<string, string>) => ({ name: f.name, retentionDays: num(f.retentionDays) });

export function registerOperationPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/tapes", permission: "read", summary: "Tapes with filters", query: cursorQuery },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const filter = parseForm(tapeFilter, c.req.query());
      const [tapes, pools] = await Promise.all([
        listTapes(ctx, { limit: 100, cursor: query.cursor }, filter),
        listPools(ctx, ALL),
      ]);
      return c.html(
        renderDocument(
          TapesPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            tapes: tapes.items,
            pools: pools.items,
            filter,
            states: TAPE_STATES,
            nextCursor: tapes.nextCursor,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes",
      permission: "operate",
      summary: "Register a tape",
      audit: "tape.create",
    },
    async (c) => {
      const f = await formFields(c);
      const tape = await createTape(
        serviceCtx(c),
        parseForm(createTapeInput, { barcode: f.barcode, poolId: num(f.poolId) }),
      );
      c.header("HX-Refresh", "true");
      return ok(c, `Tape ${tape.barcode} registered`, 201);
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/tapes/:id",
      params: idParams,
      permission: "read",
      summary: "One tape: where it is, its sets",
    },
    async (c, { params }) => {
      const ctx = serviceCtx(c);
      const tape = await getTape(ctx, params.id);
      const [pools, sets] = await Promise.all([
        listPools(ctx, ALL),
        ctx.db
          .select({
            setId: backupSetSegments.setId,
            sequence: backupSetSegments.sequence,
            fileNumber: backupSetSegments.fileNumber,
            bytes: backupSetSegments.bytes,
            state: backupSets.state,
            startedAt: backupSets.startedAt,
          })
          .from(backupSetSegments)
          .innerJoin(backupSets, eq(backupSets.id, backupSetSegments.setId))
          .where(eq(backupSetSegments.tapeId, tape.id))
          .orderBy(backupSetSegments.fileNumber),
      ]);
      const drive = await ctx.db.query.drives.findFirst({
        where: or(eq(drives.loadedTapeId, tape.id), tape.driveId ? eq(drives.id, tape.driveId) : undefined),
      });
      const where = drive
        ? `in ${drive.name}`
        : tape.changerId
          ? `in changer slot ${tape.slot ?? "?"}`
          : tape.state === "offsite"
            ? `offsite${tape.location ? ` (${tape.location})` : ""}`
            : (tape.location ?? "on the shelf");
      return c.html(
        renderDocument(
          TapePage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            tape,
            pools: pools.items,
            sets,
            where,
            drive: drive ? { name: drive.name, state: drive.state } : null,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id",
      params: idParams,
      permission: "operate",
      summary: "Move a tape to a pool, mark it offsite or retired",
      audit: "tape.update",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const tape = await updateTape(
        serviceCtx(c),
        params.id,
        parseForm(updateTapeInput, { poolId: num(f.poolId), state: f.state, location: f.location ?? null }),
      );
      return ok(c, `Tape ${tape.barcode}: ${tape.state}`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id/label",
      params: idParams,
      permission: "operate",
      summary: "Label a tape",
      audit: "tape.label",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(labelTapeInput, { poolId: num(f.poolId), force: f.force === "on" });
      const order = await requestLabel(serviceCtx(c), params.id, input);
      return ok(c, `Labelling ${order.tape} in ${order.drive}…`, 202);
    },
  );

  pages.route(
    { method: "GET", path: "/jobs", permission: "read", summary: "Jobs, sources and pools" },
    async (c) => {
      const ctx = serviceCtx(c);
      const [jobs, sources, pools, agents, keys] = await Promise.all([
        listJobs(ctx, ALL),
        listSources(ctx, ALL),
        listPools(ctx, ALL),
        listAgents(ctx),
        listEncryptionKeys(ctx),
      ]);
      return c.html(
        renderDocument(
          JobsPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            jobs: jobs.items,
            sources: sources.items,
            pools: pools.items,
            agents: agents.items,
            keys: keys.items,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/jobs/:id",
      params: idParams,
      permission: "read",
      summary: "A job and its run history",
    },
    async (c, { params }) => {
      const ctx = serviceCtx(c);
      const job = await getJob(ctx, params.id);
      const [source, pool, runs, sources, pools, keys] = await Promise.all([
        job.sourceId ? getSource(ctx, job.sourceId) : undefined,
        job.poolId ? getPool(ctx, job.poolId) : undefined,
        latestRuns(ctx, job.id, 50),
        listSources(ctx, ALL),
        listPools(ctx, ALL),
        listEncryptionKeys(ctx),
      ]);
      return c.html(
        renderDocument(
          JobPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            job,
            source: source?.name ?? "–",
            pool: pool?.name ?? "–",
            runs,
            sources: sources.items,
            pools: pools.items,
            keys: keys.items,
          }),
        ),
      );
    },
  );
  pages.route(
    { method: "POST", path: "/jobs", permission: "operate", summary: "Create a job", audit: "job.create" },
    async (c) => {
      const f = await formFields(c);
      const keyId = num(f.encryptionKeyId);
      const job = await createJob(
        serviceCtx(c),
        parseForm(createJobInput, {
          name: f.name,
          kind: f.kind,
          sourceId: num(f.sourceId),
          poolId: num(f.poolId),
          backupType: f.backupType,
          compression: f.compression,
          encryption: keyId ? "aes-256-gcm" : "none",
          encryptionKeyId: keyId,
          schedule: f.schedule ?? null,
          allowEmpty: f.allowEmpty === "on",
          retries: num(f.retries),
          retryDelayMinutes: num(f.retryDelayMinutes),
        }),
      );
      c.header("HX-Refresh", "true");
      return ok(c, `Job ${job.name} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/jobs/:id",
      params: idParams,
      permission: "operate",
      summary: "Edit a job",
      audit: "job.update",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const keyId = num(f.encryptionKeyId);
      const job = await updateJob(
        serviceCtx(c),
        params.id,
        parseForm(updateJobInput, {
          name: f.name,
          sourceId: num(f.sourceId),
          poolId: num(f.poolId),
          backupType: f.backupType,
          compression: f.compression,
          encryption: f.backupType === undefined ? undefined : keyId ? "aes-256-gcm" : "none",
          encryptionKeyId: f.backupType === undefined ? undefined : (keyId ?? null),
          schedule: f.schedule ?? null,
          enabled: f.enabled === "on",
          // Backup settings travel only in a backup job's form (a verify job's has none).
          allowEmpty: f.backupType === undefined ? undefined : f.allowEmpty === "on",
          retries: num(f.retries),
          retryDelayMinutes: num(f.retryDelayMinutes),
        }),
      );
      c.header("HX-Refresh", "true");
      return ok(c, `Job ${job.name} saved`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/sources",
      permission: "operate",
      summary: "Create a source",
      audit: "source.create",
    },
    async (c) => {
      const f = await formFields(c);
      const source = await createSource(serviceCtx(c), parseForm(createSourceInput, sourceForm(f)));
      c.header("HX-Refresh", "true");
      return ok(c, `Source ${source.name} created`, 201);
    },
  );
  pages.route(
    { method: "POST", path: "/pools", permission: "operate", summary: "Create a pool", audit: "pool.create" },
    async (c) => {
      const f = await formFields(c);
      const pool = await createPool(serviceCtx(c), parseForm(createPoolInput, poolForm(f)));
      c.header("HX-Refresh", "true");
      return ok(c, `Pool ${pool.name} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/pools/:id",
      params: idParams,
      permission: "operate",
      summary: "Edit a pool",
      audit: "pool.update",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const id = params.id;
      const pool = await updatePool(serviceCtx(c), id, parseForm(updatePoolInput, poolForm(f)));
      c.header("HX-Refresh", "true");
      return ok(c, `Pool ${pool.name} saved`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/sources/:id",
      params: idParams,
      permission: "operate",
      summary: "Edit a source",
      audit: "source.update",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const id = params.id;
      const source = await updateSource(serviceCtx(c), id, parseForm(updateSourceInput, sourceForm(f)));
      c.header("HX-Refresh", "true");
      return ok(c, `Source ${source.name} saved`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/jobs/:id/run",
      params: idParams,
      permission: "operate",
      summary: "Run a job now",
      audit: "job.run",
    },
    async (c, { params }) => {
      const run = await queueRun(serviceCtx(c), params.id, principalOf(c).username);
      c.header("HX-Redirect", `/runs/${run.id}`);
      return ok(c, `Run ${run.id} queued`, 202);
    },
  );

  const runModel = async (c: Parameters<typeof serviceCtx>[0], id: number) => {
    const ctx = serviceCtx(c);
    const run = await getRun(ctx, id);
    const job = await getJob(ctx, run.jobId);
    const tape = run.currentTapeId
      ? await ctx.db.query.tapes.findFirst({ where: (t, { eq }) => eq(t.id, run.currentTapeId as number) })
      : undefined;
    return { ...run, jobName: job.name, tapeBarcode: tape?.barcode ?? null };
  };
  pages.route(
    {
      method: "GET",
      path: "/runs/:id",
      params: idParams,
      permission: "read",
      summary: "A run with live progress and log",
    },
    async (c, { params }) => {
      const run = await runModel(c, params.id);
      const lines = await runLogs(serviceCtx(c), run.id, undefined, 500);
      return c.html(
        renderDocument(
          RunPage({ layout: await layoutFor(c), run, lines: lines.items, canOperate: can(c, "operate") }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/runs/:id/live",
      params: idParams,
      permission: "read",
      summary: "A run's progress (polled)",
    },
    async (c, { params }) => c.html(RunLive(await runModel(c, params.id), can(c, "operate")).value),
  );
  pages.route(
    {
      method: "GET",
      path: "/runs/:id/log",
      params: idParams,
      query: z.object({ after: z.coerce.number().int().min(0).default(0) }),
      permission: "read",
      summary: "New log lines of a run (polled)",
    },
    async (c, { params, query }) => {
      const { id } = params;
      const { after } = query;
      const [run, lines] = await Promise.all([
        getRun(serviceCtx(c), id),
        runLogs(serviceCtx(c), id, after, 500),
      ]);
      return c.html(LogTail({ runId: id, lines: lines.items, after, live: !run.finishedAt }).value);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/runs/:id/retry",
      params: idParams,
      permission: "operate",
      summary: "Retry a run",
      audit: "run.retry",
    },
    async (c, { params }) => {
      const run = await retryRun(serviceCtx(c), params.id, principalOf(c).username);
      c.header("HX-Redirect", `/runs/${run.id}`);
      return ok(c, `Run ${run.id} queued`, 202);
    },
  );
  for (const [verb, action] of Object.entries({ cancel: cancelRun, pause: pauseRun, resume: resumeRun })) {
    pages.route(
      {
        method: "POST",
        path: `/runs/:id/${verb}`,
        params: idParams,
        permission: "operate",
        summary: `${verb} a run`,
        audit: `run.${verb}`,
      },
      async (c, { params }) => {
        const run = await action(serviceCtx(c), params.id);
        return ok(
          c,
          verb === "cancel" ? `Cancel requested for run ${run.id}` : `Run ${run.id}: ${verb} requested`,
        );
      },
    );
  }

  pages.route({ method: "GET", path: "/agents", permission: "read", summary: "Agents" }, async (c) => {
    const ctx = serviceCtx(c);
    const [agents, agentDrives] = await Promise.all([listAgents(ctx), listDrives(ctx, ALL)]);
    const agentName = new Map(agents.items.map((a) => [a.id, a.name]));
    return c.html(
      renderDocument(
        AgentsPage({
          layout: await layoutFor(c),
          isAdmin: can(c, "admin"),
          canOperate: can(c, "operate"),
          now: ctx.now(),
          agents: agents.items,
          drives: agentDrives.items.map((d) => ({ ...d, agentName: agentName.get(d.agentId) ?? d.agentId })),
        }),
      ),
    );
  });
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
