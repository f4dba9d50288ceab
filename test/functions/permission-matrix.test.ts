import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../functions/db/schema/index.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

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
  "GET /docs": "read-only",
  "GET /docs/:name": "read-only",
  "GET /logs/audit/export": "read-only",
  "POST /settings/notifications/email/test": "admin",
  "POST /settings/notifications/telegram/test": "admin",
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
