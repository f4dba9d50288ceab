import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agents,
  auditLogs,
  backupSetSegments,
  changers,
  drives,
  encryptionKeys,
  guestBackups,
  jobRuns,
  jobs,
  mediaSets,
  pools,
  type Role,
  sites,
  sources,
  tapes,
  userSiteRoles,
} from "../../functions/db/schema/index.ts";
import { createUser } from "../../functions/services/users/create-user.ts";
import { insertSet } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub, USER_PASSWORD } from "../helpers/hub.ts";

/**
 * The permission matrix, written out by hand: every route of the hub and the least role it
 * needs. A route added without a row here, or a row whose route is gone, fails the first test;
 * a route whose code grants a different role than its row fails the second.
 */
const MATRIX: Record<string, "public" | "authenticated" | Role | "agent"> = {
  "GET /api/v1/health": "public",
  "GET /api/v1/openapi.json": "public",
  "POST /api/v1/auth/login": "public",
  "POST /api/v1/auth/logout": "authenticated",
  "GET /api/v1/auth/me": "authenticated",
  "GET /api/v1/users": "admin",
  "GET /api/v1/users/:id": "admin",
  "POST /api/v1/users": "admin",
  "PATCH /api/v1/users/:id": "admin",
  "DELETE /api/v1/users/:id": "admin",
  "GET /api/v1/api-keys": "admin",
  "POST /api/v1/api-keys": "admin",
  "DELETE /api/v1/api-keys/:id": "admin",
  "GET /api/v1/audit-logs": "read-only",
  "GET /api/v1/dashboard": "read-only",
  "GET /api/v1/jobs/active": "read-only",
  "GET /api/v1/events": "read-only",
  "GET /api/v1/events/stream": "read-only",
  "GET /api/v1/pools": "read-only",
  "GET /api/v1/pools/:id": "read-only",
  "POST /api/v1/pools": "operator",
  "PATCH /api/v1/pools/:id": "operator",
  "DELETE /api/v1/pools/:id": "operator",
  "GET /api/v1/tapes": "read-only",
  "GET /api/v1/tapes/:id": "read-only",
  "POST /api/v1/tapes": "operator",
  "PATCH /api/v1/tapes/:id": "operator",
  "DELETE /api/v1/tapes/:id": "operator",
  "POST /api/v1/tapes/:id/label": "operator",
  "POST /api/v1/tapes/:id/eject": "operator",
  "GET /api/v1/sources": "read-only",
  "GET /api/v1/sources/:id": "read-only",
  "POST /api/v1/sources": "operator",
  "PATCH /api/v1/sources/:id": "operator",
  "DELETE /api/v1/sources/:id": "operator",
  "PUT /api/v1/sources/:id/pve-token": "admin",
  "POST /api/v1/sources/:id/discover": "operator",
  "GET /api/v1/sources/:id/guests": "read-only",
  "GET /api/v1/guest-backups": "read-only",
  "POST /api/v1/guest-backups/:id/restore": "operator",
  "GET /api/v1/jobs": "read-only",
  "GET /api/v1/jobs/:id": "read-only",
  "POST /api/v1/jobs": "operator",
  "PATCH /api/v1/jobs/:id": "operator",
  "DELETE /api/v1/jobs/:id": "operator",
  "GET /api/v1/agents": "read-only",
  "GET /api/v1/agents/:id": "read-only",
  "POST /api/v1/agents": "admin",
  "POST /api/v1/agents/:id/enrollment-token": "admin",
  "POST /api/v1/agents/:id/rescan": "operator",
  "DELETE /api/v1/agents/:id": "admin",
  "GET /api/v1/drives": "read-only",
  "POST /api/v1/drives/:id/scan": "operator",
  "POST /api/v1/drives/:id/clean": "operator",
  "PUT /api/v1/drives/:id/cleaning-schedule": "operator",
  "PUT /api/v1/changers/:id/cleaning-schedule": "operator",
  "GET /api/v1/drives/:id/health": "read-only",
  "GET /api/v1/tapes/:id/health": "read-only",
  "POST /api/v1/tapes/:id/erase": "operator",
  "GET /api/v1/changers": "read-only",
  "POST /api/v1/changers/:id/operations": "operator",
  "POST /api/v1/changers/:id/export": "operator",
  "POST /api/v1/changers/:id/label-blank": "operator",
  "POST /api/v1/changers/:id/rebuild": "operator",
  "GET /api/v1/changers/:id/rebuild": "read-only",
  "POST /api/v1/jobs/:id/run": "operator",
  "GET /api/v1/jobs/:id/preflight": "read-only",
  "GET /api/v1/retention": "read-only",
  "GET /api/v1/rotation": "read-only",
  "POST /api/v1/media-sets/:id/location": "operator",
  "GET /retention": "read-only",
  "POST /media-sets/:id/location": "operator",
  "GET /api/v1/runs": "read-only",
  "GET /api/v1/runs/:id": "read-only",
  "GET /api/v1/runs/:id/logs": "read-only",
  "POST /api/v1/runs/:id/cancel": "operator",
  "POST /api/v1/runs/:id/pause": "operator",
  "POST /api/v1/runs/:id/resume": "operator",
  "POST /api/v1/runs/:id/retry": "operator",
  "GET /api/v1/encryption-keys": "read-only",
  "POST /api/v1/restores/plan": "read-only",
  "POST /api/v1/restores": "operator",
  "GET /api/v1/sets": "read-only",
  "GET /api/v1/sets/:id": "read-only",
  "GET /api/v1/sets/:id/tree": "read-only",
  "POST /api/v1/sets/:id/verify": "operator",
  "POST /api/v1/sets/:id/rebuild-catalog": "operator",
  "GET /api/v1/catalog/versions": "read-only",
  "GET /api/v1/catalog/search": "read-only",
  "POST /api/v1/encryption-keys": "admin",
  "GET /api/v1/encryption-keys/:id": "read-only",
  "POST /api/v1/encryption-keys/import": "admin",
  "POST /api/v1/encryption-keys/:id/export": "admin",
  "POST /api/v1/encryption-keys/:id/retire": "admin",
  "DELETE /api/v1/encryption-keys/:id": "admin",
  "POST /api/v1/pools/:id/rotate-key": "admin",
  "GET /api/v1/settings": "admin",
  "PUT /api/v1/settings/job-defaults": "admin",
  "PUT /api/v1/settings/notifications/email": "admin",
  "PUT /api/v1/settings/notifications/telegram": "admin",
  "PUT /api/v1/settings/time-zone": "admin",
  "POST /api/v1/settings/notifications/:kind/test": "admin",
  // The drive-agent protocol: agent tokens only; no user session or API key gets in.
  "POST /agent/v1/enroll": "public",
  "POST /agent/v1/heartbeat": "agent",
  "GET /agent/v1/orders/next": "agent",
  "POST /agent/v1/orders/:orderId/ack": "agent",
  "POST /agent/v1/orders/:orderId/progress": "agent",
  "POST /agent/v1/orders/:orderId/logs": "agent",
  "POST /agent/v1/orders/:orderId/catalog": "agent",
  "POST /agent/v1/orders/:orderId/segments": "agent",
  "POST /agent/v1/orders/:orderId/restore-files": "agent",
  "POST /agent/v1/orders/:orderId/result": "agent",
  "GET /agent/v1/orders/:orderId/catalog-snapshot": "agent",
  "POST /agent/v1/orders/:orderId/scan/tape": "agent",
  "POST /agent/v1/orders/:orderId/scan/set": "agent",
  "POST /agent/v1/orders/:orderId/scan/segment": "agent",
  // Pages and assets
  "GET /assets/app.css": "public",
  "GET /assets/htmx.min.js": "public",
  "GET /assets/local-time.js": "public",
  "GET /assets/print.css": "public",
  "GET /assets/print.js": "public",
  "GET /login": "public",
  "POST /login": "public",
  "POST /logout": "authenticated",
  "GET /": "read-only",
  "GET /partials/active-runs": "read-only",
  "GET /partials/attention": "read-only",
  "GET /tapes": "read-only",
  "POST /tapes": "operator",
  "POST /tapes/:id/label": "operator",
  "POST /drives/:id/scan": "operator",
  "GET /tapes/:id": "read-only",
  "POST /tapes/:id": "operator",
  "GET /jobs": "read-only",
  "GET /jobs/new": "operator",
  "GET /jobs/:id": "read-only",
  "GET /sources": "read-only",
  "POST /jobs": "operator",
  "POST /jobs/:id": "operator",
  "POST /sources": "operator",
  "GET /pools": "read-only",
  "POST /pools": "operator",
  "POST /pools/:id": "operator",
  "GET /partials/schedule-preview": "read-only",
  "GET /partials/guest-selection": "read-only",
  "POST /sets/:id/verify": "operator",
  "POST /sources/:id": "operator",
  "GET /sources/:id/guests": "read-only",
  "GET /guests": "read-only",
  "POST /proxmox-sources": "admin",
  "POST /proxmox-sources/:id": "admin",
  "POST /sources/:id/discover": "operator",
  "POST /sources/:id/guest-backups/:backupId/restore": "operator",
  "POST /jobs/:id/run": "operator",
  "GET /runs/:id": "read-only",
  "GET /runs/:id/live": "read-only",
  "GET /runs/:id/live/stream": "read-only",
  "GET /runs/:id/log": "read-only",
  "POST /runs/:id/cancel": "operator",
  "POST /runs/:id/pause": "operator",
  "POST /runs/:id/resume": "operator",
  "POST /runs/:id/retry": "operator",
  "GET /agents": "read-only",
  "POST /agents": "admin",
  "POST /agents/:id/rescan": "operator",
  "GET /logs": "read-only",
  "GET /restore": "read-only",
  "GET /users": "admin",
  "POST /users": "admin",
  "POST /users/:id": "admin",
  "POST /users/:id/site-roles": "admin",
  "GET /api-keys": "admin",
  "POST /api-keys": "admin",
  "POST /api-keys/:id/revoke": "admin",
  "GET /restore/as-of": "read-only",
  "GET /restore/sets/:id": "read-only",
  "POST /restore/sets/:id/plan": "read-only",
  "POST /restore/sets/:id/start": "operator",
  "POST /sets/:id/rebuild-catalog": "operator",
  "POST /tapes/:id/eject": "operator",
  "GET /library": "read-only",
  "GET /partials/library": "read-only",
  "GET /drives/:id": "read-only",
  "POST /library/:id/operate": "operator",
  "POST /library/:id/export": "operator",
  "POST /library/:id/label-blank": "operator",
  "POST /library/:id/rebuild": "operator",
  "POST /drives/:id/clean": "operator",
  "POST /drives/:id/cleaning-schedule": "operator",
  "POST /tapes/:id/erase": "operator",
  "GET /assets/hx-sse.js": "public",
  "GET /settings": "admin",
  "GET /logs/audit": "read-only",
  "GET /api/v1/job-logs": "read-only",
  "POST /settings/job-defaults": "admin",
  "POST /settings/notifications/email": "admin",
  "POST /settings/notifications/telegram": "admin",
  "POST /settings/time-zone": "admin",
  "GET /keys": "read-only",
  "POST /keys/:id/sheet": "admin",
  "GET /tapes/:id/passport": "read-only",
  "GET /pools/:id/passports": "read-only",
  "GET /media-sets/:id/passports": "read-only",
  "POST /pools/:id/rotate-key": "admin",
  "POST /keys/:id/retire": "admin",
  "POST /keys/:id/delete": "admin",
  "GET /docs": "read-only",
  "GET /docs/:name": "read-only",
  "GET /logs/audit/export": "read-only",
  "POST /settings/notifications/email/test": "admin",
  "POST /settings/notifications/telegram/test": "admin",
  "GET /api/v1/sites": "read-only",
  "GET /api/v1/sites/:id": "read-only",
  "POST /api/v1/sites": "admin",
  "PATCH /api/v1/sites/:id": "admin",
  "POST /api/v1/sites/:id/retire": "admin",
  "PUT /api/v1/users/:id/site-roles": "admin",
  "POST /api/v1/tapes/:id/move": "operator",
  "POST /api/v1/media-sets/:id/move": "operator",
  "GET /sites": "read-only",
  "POST /sites": "admin",
  "POST /sites/:id": "admin",
  "POST /sites/:id/retire": "admin",
  "POST /tapes/:id/move": "operator",
  // Moving a host changes which site's users see and run it: an admin's decision (ADR 0017).
  "POST /api/v1/agents/:id/move": "admin",
  "POST /agents/:id/move": "admin",
  "PUT /api/v1/encryption-keys/:id/site": "admin",
  "POST /keys/:id/site": "admin",
};

const RANK = { public: 0, authenticated: 1, "read-only": 2, operator: 3, admin: 4, agent: 99 } as const;
const CALLERS = ["anonymous", "read-only", "operator", "admin"] as const;

function registeredRoutes(hub: TestHub): string[] {
  // Hono lists middleware as method ALL; handlers carry their real method.
  return [
    ...new Set(hub.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`)),
  ].sort();
}

describe("permission matrix", () => {
  let hub: TestHub;
  const tokens: Partial<Record<Role, string>> = {};
  beforeAll(async () => {
    hub = await createTestHub();
    for (const role of ["read-only", "operator", "admin"] as const) tokens[role] = await hub.tokenFor(role);
  });
  afterAll(() => hub.close());

  it("has exactly one row for every route the app serves", () => {
    expect(registeredRoutes(hub)).toEqual(Object.keys(MATRIX).sort());
  });

  const cases = Object.entries(MATRIX).flatMap(([route, least]) =>
    CALLERS.map((caller) => ({ route, least, caller })),
  );

  it.each(cases)(
    "$route as $caller is allowed only when the role is at least $least",
    async ({ route, least, caller }) => {
      const [method, pattern] = route.split(" ") as [string, string];
      // A record that does not exist: allowed callers reach the handler and get 404/400, never 401/403.
      const path = pattern
        .replace(":orderId", "00000000-0000-4000-8000-000000000000")
        .replace(":id", pattern.includes("/agents/") ? "00000000-0000-4000-8000-000000000000" : "999999");
      const endsSession = route.endsWith("/logout");
      const token =
        caller === "anonymous" ? undefined : endsSession ? await hub.freshTokenFor(caller) : tokens[caller];
      const res = await hub.request(path, {
        method,
        ...(token ? { token } : {}),
        ...(method === "GET" ? {} : { json: {} }),
      });
      const callerRank = caller === "anonymous" ? 0 : RANK[caller];
      const allowed = callerRank >= RANK[least];
      if (allowed) {
        expect([401, 403], `${route} as ${caller} → ${res.status}`).not.toContain(res.status);
      } else if (caller === "anonymous" || least === "agent") {
        expect([401, 302], `${route} as anonymous → ${res.status}`).toContain(res.status);
      } else {
        expect(res.status, `${route} as ${caller}`).toBe(403);
      }
    },
  );
});

/**
 * The site dimension of the same matrix: an operator of site B (and only B) against the objects of
 * site A. Every route an operator or read-only user may call, with its path naming site A's object
 * of the path's kind and a body naming site A's objects, must refuse a mutation (403) and hide a
 * read (404); the same routes at site B pass the site check.
 */
const PATH_KIND: [RegExp, ObjectKind][] = [
  [/\/sites\/:id/, "site"],
  [/\/agents\/:id/, "agent"],
  [/\/drives\/:id/, "drive"],
  [/\/(changers|library)\/:id/, "changer"],
  [/\/tapes\/:id/, "tape"],
  [/\/pools\/:id/, "pool"],
  [/\/sources\/:id/, "source"],
  [/\/jobs\/:id/, "job"],
  [/\/runs\/:id/, "run"],
  [/\/sets\/:id/, "set"],
  [/\/media-sets\/:id/, "mediaSet"],
  [/\/guest-backups\/:id/, "guestBackup"],
  [/\/(encryption-keys|keys)\/:id/, "key"],
];
type ObjectKind =
  | "site"
  | "agent"
  | "drive"
  | "changer"
  | "tape"
  | "pool"
  | "source"
  | "job"
  | "run"
  | "set"
  | "mediaSet"
  | "guestBackup"
  | "key";
type SiteObjects = Record<ObjectKind, string | number>;

async function objectsAt(hub: TestHub, name: string): Promise<SiteObjects> {
  const db = hub.ctx.db;
  const now = hub.ctx.now();
  const [site] = await db.insert(sites).values({ name, createdAt: now }).returning();
  const siteId = site?.id as number;
  const agentId = crypto.randomUUID();
  await db
    .insert(agents)
    .values({ id: agentId, name: `agent-${name}`, siteId, state: "online", createdAt: now, updatedAt: now });
  const [changer] = await db
    .insert(changers)
    .values({ agentId, name: `lib-${name}`, devicePath: "/dev/sg9", createdAt: now })
    .returning();
  const [drive] = await db
    .insert(drives)
    .values({ agentId, name: `drive-${name}`, devicePath: "/dev/nst0", state: "idle", createdAt: now })
    .returning();
  const [pool] = await db
    .insert(pools)
    .values({ name: `pool-${name}`, siteId, createdAt: now, updatedAt: now })
    .returning();
  const [mediaSet] = await db
    .insert(mediaSets)
    .values({ poolId: pool?.id as number, startedAt: now })
    .returning();
  const [tape] = await db
    .insert(tapes)
    .values({
      barcode: `${name}00001L9`.toUpperCase().slice(0, 16),
      siteId,
      poolId: pool?.id,
      mediaSetId: mediaSet?.id,
      state: "active",
      label: "x",
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const [source] = await db
    .insert(sources)
    .values({
      name: `src-${name}`,
      kind: "local",
      agentId,
      paths: ["/data"],
      include: [],
      exclude: [],
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const [job] = await db
    .insert(jobs)
    .values({ name: `job-${name}`, sourceId: source?.id, poolId: pool?.id, createdAt: now, updatedAt: now })
    .returning();
  const [run] = await db
    .insert(jobRuns)
    .values({
      jobId: job?.id as number,
      kind: "backup",
      state: "running",
      triggeredBy: "test",
      agentId,
      queuedAt: now,
    })
    .returning();
  const setId = await insertSet(hub, { jobId: job?.id, runId: run?.id, poolId: pool?.id });
  await db
    .insert(backupSetSegments)
    .values({ setId, tapeId: tape?.id as number, sequence: 0, fileNumber: 1, createdAt: now });
  const [guest] = await db
    .insert(guestBackups)
    .values({
      setId,
      sourceId: source?.id,
      vmid: 100,
      type: "qemu",
      name: "vm",
      node: "pve",
      state: "completed",
      bytes: 1,
      archivePath: "vzdump.vma",
      parts: 1,
      createdAt: now,
    })
    .returning();
  const [key] = await db
    .insert(encryptionKeys)
    .values({ name: `key-${name}`, fingerprint: `fp-${name}`, wrappedKey: "x", siteId, createdAt: now })
    .returning();
  return {
    site: siteId,
    agent: agentId,
    drive: drive?.id as number,
    changer: changer?.id as number,
    tape: tape?.id as number,
    pool: pool?.id as number,
    source: source?.id as number,
    job: job?.id as number,
    run: run?.id as number,
    set: setId,
    mediaSet: mediaSet?.id as number,
    guestBackup: guest?.id as number,
    key: key?.id as number,
  };
}

/** The path with its parameter naming the object of `at` of the path's kind; null when it names none. */
function pathAt(pattern: string, at: SiteObjects): string {
  const kind = PATH_KIND.find(([re]) => re.test(pattern))?.[1];
  return pattern
    .replace(":id", kind ? String(at[kind]) : "999999")
    .replace(":backupId", String(at.guestBackup))
    .replace(":kind", "email")
    .replace(":name", "operator-guide");
}

/** Valid bodies of the routes that create something, so they reach the site check of their body. */
const CREATES: Record<string, (at: SiteObjects) => Record<string, unknown>> = {
  "POST /api/v1/pools": (at) => ({ name: "new pool", siteId: at.site }),
  "POST /api/v1/tapes": (at) => ({ barcode: "NEW001L9", siteId: at.site }),
  "POST /api/v1/sources": (at) => ({ name: "new source", kind: "local", paths: ["/x"], agentId: at.agent }),
  "POST /api/v1/jobs": (at) => ({ name: "new job", sourceId: at.source, poolId: at.pool }),
  "POST /api/v1/restores": (at) => ({ setId: at.set, destination: "/restore" }),
};

/** A body naming `at`'s objects in every field a route might read them from. */
function bodyAt(at: SiteObjects, other: SiteObjects): Record<string, string | number> {
  return {
    siteId: at.site,
    agentId: at.agent,
    sourceId: at.source,
    poolId: at.pool,
    jobId: at.job,
    setId: at.set,
    driveId: at.drive,
    encryptionKeyId: at.key,
    toSiteId: other.site,
  };
}

describe("permission matrix: the site dimension", () => {
  let hub: TestHub;
  let siteA: SiteObjects;
  let siteB: SiteObjects;
  const token: Partial<Record<"operatorB" | "readerB", string>> = {};
  beforeAll(async () => {
    hub = await createTestHub();
    await hub.tokenFor("admin");
    siteA = await objectsAt(hub, "alpha");
    siteB = await objectsAt(hub, "bravo");
    for (const [key, role, username] of [
      ["operatorB", "operator", "site-b-operator"],
      ["readerB", "read-only", "site-b-reader"],
    ] as const) {
      const user = await createUser(hub.ctx, { username, password: USER_PASSWORD, role, disabled: false }, 4);
      await hub.ctx.db.insert(userSiteRoles).values({ userId: user.id, siteId: siteB.site as number, role });
      const res = await hub.request("/api/v1/auth/login", {
        method: "POST",
        json: { username, password: USER_PASSWORD },
      });
      token[key] = ((await res.json()) as { token: string }).token;
    }
  });
  afterAll(() => hub.close());

  const siteRoutes = Object.entries(MATRIX)
    .filter(([, least]) => least === "operator" || least === "read-only")
    .map(([route, least]) => ({ route, least }));

  it.each(siteRoutes)("$route of site A is refused or hidden to an operator of site B", async ({ route }) => {
    const [method, pattern] = route.split(" ") as [string, string];
    const path = pathAt(pattern, siteA);
    const body = CREATES[route]?.(siteA) ?? bodyAt(siteA, siteB);
    const res =
      method === "GET"
        ? await hub.request(path, { token: token.operatorB as string })
        : pattern.startsWith("/api/")
          ? await hub.request(path, { method, token: token.operatorB as string, json: body })
          : await hub.postForm(
              path,
              Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])),
              token.operatorB,
            );
    const namesObject = pattern.includes(":");
    if (method === "GET") {
      // A list answers with site B's rows only (checked below); an object of site A is not there.
      const ofSite = PATH_KIND.some(([re]) => re.test(pattern));
      if (namesObject && ofSite) expect(res.status, `${route} → ${res.status}`).toBe(404);
      else expect([401, 403], `${route} → ${res.status}`).not.toContain(res.status);
    } else {
      expect(res.status, `${route} → ${res.status}: ${await res.text()}`).toBe(403);
    }
  });

  it("records the site of a refused action on its audit row", async () => {
    await hub.request(`/api/v1/tapes/${siteA.tape}/label`, {
      method: "POST",
      token: token.operatorB as string,
      json: { poolId: siteA.pool },
    });
    const rows = await hub.ctx.db.select().from(auditLogs).where(eq(auditLogs.action, "tape.label"));
    expect(rows.at(-1)).toMatchObject({ actor: "site-b-operator", outcome: "denied", siteId: siteA.site });
  });

  it("lets the operator of site B act on site B's objects (the check is per site, not a blanket refusal)", async () => {
    const read = await hub.request(`/api/v1/tapes/${siteB.tape}`, { token: token.operatorB as string });
    expect(read.status).toBe(200);
    const pause = await hub.request(`/api/v1/runs/${siteB.run}/pause`, {
      method: "POST",
      token: token.operatorB as string,
      json: {},
    });
    expect([401, 403, 404]).not.toContain(pause.status);
    const readerPause = await hub.request(`/api/v1/runs/${siteB.run}/pause`, {
      method: "POST",
      token: token.readerB as string,
      json: {},
    });
    expect(readerPause.status).toBe(403);
  });

  it("shows a site-B user only site B in the lists", async () => {
    const lists: [string, SiteObjects[ObjectKind][] | undefined, ObjectKind][] = [
      ["/api/v1/agents", undefined, "agent"],
      ["/api/v1/drives", undefined, "drive"],
      ["/api/v1/tapes", undefined, "tape"],
      ["/api/v1/pools", undefined, "pool"],
      ["/api/v1/jobs", undefined, "job"],
      ["/api/v1/runs", undefined, "run"],
      ["/api/v1/sources", undefined, "source"],
      ["/api/v1/sites", undefined, "site"],
      ["/api/v1/sets", undefined, "set"],
      ["/api/v1/encryption-keys", undefined, "key"],
    ];
    for (const [path, , kind] of lists) {
      const body = await hub.requestJson<{ items: { id: string | number }[] }>(path, {
        token: token.readerB as string,
      });
      const ids = body.items.map((i) => i.id);
      expect(ids, path).toContain(siteB[kind]);
      expect(ids, path).not.toContain(siteA[kind]);
    }
    const admin = await hub.tokenFor("admin");
    const filtered = await hub.requestJson<{ items: { id: number }[] }>(`/api/v1/tapes?site=${siteA.site}`, {
      token: admin,
    });
    expect(filtered.items.map((t) => t.id)).toEqual([siteA.tape]);
    const asked = await hub.requestJson<{ items: unknown[] }>(`/api/v1/tapes?site=${siteA.site}`, {
      token: token.readerB as string,
    });
    expect(asked.items).toEqual([]);
  });
});
