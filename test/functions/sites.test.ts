import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  drives,
  jobs,
  mediaSets,
  pools,
  tapeMoves,
  tapes,
  userSiteRoles,
} from "../../functions/db/schema/index.ts";
import { driveReads } from "../../functions/services/catalog/tape-reader.ts";
import { nextRun } from "../../functions/services/jobs/job-input.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

describe("sites: create, rename, retire; zones; tape moves", () => {
  let hub: TestHub;
  let admin: string;
  const api = async <T>(method: string, path: string, json?: unknown) => {
    const res = await hub.request(path, { method, token: admin, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (await res.json()) as T };
  };
  let east: number;
  let west: number;
  let agentId: string;

  beforeAll(async () => {
    hub = await createTestHub();
    admin = await hub.tokenFor("admin");
    east = (await api<{ id: number }>("POST", "/api/v1/sites", { name: "East", timeZone: "Asia/Tokyo" })).body
      .id;
    west = (await api<{ id: number }>("POST", "/api/v1/sites", { name: "<i>West</i>", contact: "x@y" })).body
      .id;
    agentId = (
      await api<{ agent: { id: string } }>("POST", "/api/v1/agents", { name: "tokyo", siteId: east })
    ).body.agent.id;
  });
  afterAll(() => hub.close());

  it("refuses a second site of the same name and an unknown time zone, and renames one", async () => {
    expect((await api("POST", "/api/v1/sites", { name: "East" })).status).toBe(409);
    expect((await api("POST", "/api/v1/sites", { name: "Nowhere", timeZone: "Mars/Olympus" })).status).toBe(
      400,
    );
    const renamed = await api<{ name: string; timeZone: string }>("PATCH", `/api/v1/sites/${east}`, {
      name: "East office",
    });
    expect(renamed.body).toMatchObject({ name: "East office", timeZone: "Asia/Tokyo" });
  });

  it("shows a site's markup name as text on the Sites page", async () => {
    const html = await (await hub.request("/sites", { token: admin })).text();
    expect(html).toContain("&lt;i&gt;West&lt;/i&gt;");
    expect(html).not.toContain("<i>West</i>");
  });

  it("reads a job's schedule in its site's zone, not the hub's", async () => {
    const source = await api<{ id: number }>("POST", "/api/v1/sources", {
      name: "tokyo files",
      kind: "local",
      paths: ["/srv"],
      agentId,
    });
    const pool = await api<{ id: number }>("POST", "/api/v1/pools", { name: "East pool", siteId: east });
    const before = hub.ctx.now();
    const job = await api<{ id: number; nextRunAt: string }>("POST", "/api/v1/jobs", {
      name: "tokyo nightly",
      sourceId: source.body.id,
      poolId: pool.body.id,
      schedule: "0 22 * * *",
    });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    const row = await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, job.body.id) });
    // 22:00 in Tokyo (UTC+9, no summer time) is 13:00 UTC, whatever time it is now.
    expect(row?.nextRunAt?.getUTCHours()).toBe(13);
    expect(row?.nextRunAt).toEqual(nextRun("0 22 * * *", before, "Asia/Tokyo"));
  });

  it("refuses to retire a site while an agent is there, and retires an empty one", async () => {
    expect((await api("POST", `/api/v1/sites/${east}/retire`)).status).toBe(409);
    const retired = await api<{ retiredAt: string | null }>("POST", `/api/v1/sites/${west}/retire`);
    expect(retired.body.retiredAt).not.toBeNull();
    // A retired site takes no new tape.
    expect((await api("POST", "/api/v1/tapes", { barcode: "RET001L9", siteId: west })).status).toBe(409);
  });

  it("records a tape's move, refuses one in a drive, and moves a whole media set", async () => {
    const north = (await api<{ id: number }>("POST", "/api/v1/sites", { name: "North" })).body.id;
    const now = hub.ctx.now();
    const [pool] = await hub.ctx.db
      .insert(pools)
      .values({ name: "Rotation", createdAt: now, updatedAt: now })
      .returning();
    const [set] = await hub.ctx.db
      .insert(mediaSets)
      .values({ poolId: pool?.id as number, startedAt: now })
      .returning();
    const [drive] = await hub.ctx.db
      .insert(drives)
      .values({ agentId, name: "d0", devicePath: "/dev/nst0", createdAt: now })
      .returning();
    const [inDrive, onShelf] = await hub.ctx.db
      .insert(tapes)
      .values(
        ["MOV001L9", "MOV002L9"].map((barcode, i) => ({
          barcode,
          siteId: east,
          mediaSetId: set?.id,
          driveId: i === 0 ? drive?.id : null,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .returning();
    const refused = await api<{ error: { message: string } }>("POST", `/api/v1/media-sets/${set?.id}/move`, {
      toSiteId: north,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/MOV001L9 is in a drive; eject it/);
    await hub.ctx.db
      .update(tapes)
      .set({ driveId: null })
      .where(eq(tapes.id, inDrive?.id as number));
    const moved = await api<{ moved: { barcode: string }[] }>("POST", `/api/v1/media-sets/${set?.id}/move`, {
      toSiteId: north,
      note: "quarterly rotation",
    });
    expect(moved.body.moved.map((t) => t.barcode)).toEqual(["MOV001L9", "MOV002L9"]);
    const rows = await hub.ctx.db
      .select()
      .from(tapeMoves)
      .where(eq(tapeMoves.tapeId, onShelf?.id as number));
    expect(rows).toEqual([
      expect.objectContaining({ fromSiteId: east, toSiteId: north, mediaSetId: set?.id, actor: "admin" }),
    ]);
    const page = await (await hub.request(`/tapes/${onShelf?.id}`, { token: admin })).text();
    expect(page).toMatch(/<td id="tape-site">North<\/td>/);
    expect(page).toContain("quarterly rotation");
  });

  it("knows which LTO generations a drive reads", () => {
    expect(driveReads("LTO-9", "LTO-8")).toBe(true);
    expect(driveReads("LTO-9", "LTO-7")).toBe(false);
    expect(driveReads("LTO-7", "LTO-5")).toBe(true);
    expect(driveReads("LTO-8", "LTO-9")).toBe(false);
    expect(driveReads(null, "LTO-9")).toBe(true);
  });

  it("the users page limits a user to some sites with a role at each, and frees them again", async () => {
    const user = (
      await api<{ id: number }>("POST", "/api/v1/users", {
        username: "ops-east",
        password: "east-operator-pw",
        role: "operator",
      })
    ).body;
    await api("POST", "/api/v1/sites", { name: "<b>North</b>" });
    const saved = await hub.postForm(
      `/users/${user.id}/site-roles`,
      { [`site-${east}`]: "operator", [`site-${west}`]: "" },
      admin,
    );
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain("Saved: 1 site(s) only");
    expect(await hub.ctx.db.select().from(userSiteRoles).where(eq(userSiteRoles.userId, user.id))).toEqual([
      { userId: user.id, siteId: east, role: "operator" },
    ]);
    const page = await (await hub.request("/users", { token: admin })).text();
    // Site names are escaped; the user's role at East office is selected; a retired site (West)
    // is not offered.
    expect(page).toContain("Role of ops-east at &lt;b&gt;North&lt;/b&gt;");
    expect(page).not.toContain("<b>North</b>");
    expect(page).not.toContain("Role of ops-east at &lt;i&gt;West");
    expect(page).toMatch(
      /aria-label="Role of ops-east at East office">.*?<option value="operator" selected/s,
    );
    // A bad role is refused at the edge; all empty makes the user unscoped again.
    expect(
      (await hub.postForm(`/users/${user.id}/site-roles`, { [`site-${east}`]: "admin" }, admin)).status,
    ).toBe(400);
    const freed = await hub.postForm(`/users/${user.id}/site-roles`, { [`site-${east}`]: "" }, admin);
    expect(await freed.text()).toContain("Saved: every site");
    expect(await hub.ctx.db.select().from(userSiteRoles).where(eq(userSiteRoles.userId, user.id))).toEqual(
      [],
    );
  });
});
