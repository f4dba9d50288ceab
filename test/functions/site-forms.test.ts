import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLogs, catalogEntries } from "../../functions/db/schema/index.ts";
import { fileEntry, insertSet } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub, USER_PASSWORD } from "../helpers/hub.ts";

/**
 * The create forms of the pages for an operator of one site (South) only: each offers South alone,
 * preselected, and the server refuses another site (North) or no site with an error partial the
 * form shows, whatever the form was made to send.
 */
describe("site-aware create forms: a site-scoped operator acts at their own site only", () => {
  let hub: TestHub;
  let admin: string;
  let ops: string;
  const at: Record<"north" | "south", { site: number; agent: string; source: number; pool: number }> = {
    north: { site: 0, agent: "", source: 0, pool: 0 },
    south: { site: 0, agent: "", source: 0, pool: 0 },
  };
  const api = async <T>(method: string, path: string, json?: unknown) => {
    const res = await hub.request(path, { method, token: admin, ...(json === undefined ? {} : { json }) });
    const body = (await res.json()) as T;
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const count = async (path: string) => (await api<{ items: unknown[] }>("GET", path)).items.length;

  beforeAll(async () => {
    hub = await createTestHub();
    admin = await hub.tokenFor("admin");
    for (const key of ["north", "south"] as const) {
      const site = (
        await api<{ id: number }>("POST", "/api/v1/sites", {
          name: key === "north" ? "North" : "<b>South</b>",
        })
      ).id;
      const agent = (
        await api<{ agent: { id: string } }>("POST", "/api/v1/agents", { name: `host-${key}`, siteId: site })
      ).agent.id;
      const source = (
        await api<{ id: number }>("POST", "/api/v1/sources", {
          name: `files-${key}`,
          kind: "local",
          paths: ["/srv"],
          agentId: agent,
        })
      ).id;
      const pool = (await api<{ id: number }>("POST", "/api/v1/pools", { name: `pool-${key}`, siteId: site }))
        .id;
      at[key] = { site, agent, source, pool };
    }
    const user = await api<{ id: number }>("POST", "/api/v1/users", {
      username: "ops-south",
      password: USER_PASSWORD,
      role: "operator",
    });
    await api("PUT", `/api/v1/users/${user.id}/site-roles`, {
      sites: [{ siteId: at.south.site, role: "operator" }],
    });
    const login = await hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "ops-south", password: USER_PASSWORD },
    });
    ops = ((await login.json()) as { token: string }).token;
  });
  afterAll(() => hub.close());

  it.each(["/pools", "/tapes", "/sources", "/jobs/new"])(
    "the form on %s offers South only, preselected and required, its name escaped",
    async (path) => {
      const html = await (await hub.request(path, { token: ops })).text();
      const select = html.match(/<select name="siteId" required>(.*?)<\/select>/s)?.[1];
      expect(select, html).toBeDefined();
      expect(select).toBe(`<option value="${at.south.site}" selected>&lt;b&gt;South&lt;/b&gt;</option>`);
      expect(html).not.toContain("<b>South</b>");
    },
  );

  it("offers an unscoped operator every site and no site", async () => {
    const html = await (await hub.request("/pools", { token: await hub.tokenFor("operator") })).text();
    const siteSelect = (form: string) =>
      html.split(`hx-post="${form}"`)[1]?.match(/<select name="siteId">(.*?)<\/select>/s)?.[1] ?? "";
    // A pool's edit form shows the site it is bound to.
    expect(siteSelect(`/pools/${at.north.pool}`)).toContain(
      `<option value="${at.north.site}" selected>North`,
    );
    const select = siteSelect("/pools");
    expect(select).toContain('<option value="none" selected>No site</option>');
    expect(select).toContain(`value="${at.north.site}"`);
    expect(select).toContain(`value="${at.south.site}"`);
  });

  // Each form, made to send North (the select never offers it), or no site at all.
  const crafted: [string, string, () => Record<string, string>, string, RegExp][] = [
    [
      "pool",
      "/pools",
      () => ({ name: "crafted pool", siteId: String(at.north.site) }),
      "/api/v1/pools",
      /may not do this: your role at site \d+ is none; this needs operate/,
    ],
    [
      "pool",
      "/pools",
      () => ({ name: "crafted pool", siteId: "none" }),
      "/api/v1/pools",
      /Choose one of your sites for the pool/,
    ],
    [
      "tape",
      "/tapes",
      () => ({ barcode: "CRAFT1L9", siteId: String(at.north.site) }),
      "/api/v1/tapes",
      /may not do this: your role at site \d+ is none; this needs operate/,
    ],
    [
      "tape",
      "/tapes",
      () => ({ barcode: "CRAFT1L9", siteId: "none" }),
      "/api/v1/tapes",
      /Choose one of your sites for the tape/,
    ],
    [
      "source",
      "/sources",
      () => ({
        name: "crafted",
        kind: "local",
        paths: "/x",
        siteId: String(at.north.site),
        agentId: at.south.agent,
      }),
      "/api/v1/sources",
      /your role at site \d+ is none; this needs operate/,
    ],
    [
      "source",
      "/sources",
      () => ({
        name: "crafted",
        kind: "local",
        paths: "/x",
        siteId: String(at.south.site),
        agentId: at.north.agent,
      }),
      "/api/v1/sources",
      /your role at the site of agent [\w-]+ is none/,
    ],
    [
      "source",
      "/sources",
      () => ({ name: "crafted", kind: "local", paths: "/x", siteId: "none" }),
      "/api/v1/sources",
      /Choose one of your sites for the source/,
    ],
    [
      "job",
      "/jobs",
      () => ({
        name: "crafted",
        kind: "backup",
        siteId: String(at.north.site),
        sourceId: String(at.south.source),
        poolId: String(at.south.pool),
      }),
      "/api/v1/jobs",
      /your role at site \d+ is none; this needs operate/,
    ],
    [
      "job",
      "/jobs",
      () => ({
        name: "crafted",
        kind: "backup",
        siteId: String(at.south.site),
        sourceId: String(at.north.source),
        poolId: String(at.south.pool),
      }),
      "/api/v1/jobs",
      /your role at the site of source \d+ is none/,
    ],
    [
      "job",
      "/jobs",
      () => ({ name: "crafted", kind: "verify", siteId: "none", poolId: String(at.south.pool) }),
      "/api/v1/jobs",
      /Choose one of your sites for the job/,
    ],
  ];
  it.each(crafted)(
    "refuses a crafted %s form (%s) with an error the form shows, and creates nothing",
    async (_, path, form, list, message) => {
      const before = await count(list);
      const res = await hub.postForm(path, form(), ops);
      const html = await res.text();
      expect(res.status, html).toBe(403);
      // The htmx partial the form swaps in, not a whole error page.
      expect(html).toMatch(/^<div class="alert error" role="alert">/);
      expect(html).toMatch(message);
      expect(await count(list)).toBe(before);
    },
  );

  it("says so when the site chosen and the agent or source disagree (an unscoped operator)", async () => {
    const operator = await hub.tokenFor("operator");
    const source = await hub.postForm(
      "/sources",
      { name: "mixed", kind: "local", paths: "/x", siteId: String(at.south.site), agentId: at.north.agent },
      operator,
    );
    expect(source.status).toBe(400);
    expect(await source.text()).toContain("The agent is at North, not at &lt;b&gt;South&lt;/b&gt;");
    const job = await hub.postForm(
      "/jobs",
      {
        name: "mixed",
        kind: "backup",
        siteId: String(at.north.site),
        sourceId: String(at.south.source),
        poolId: String(at.north.pool),
      },
      operator,
    );
    expect(job.status).toBe(400);
    expect(await job.text()).toContain("The source is at &lt;b&gt;South&lt;/b&gt;, not at North");
  });

  it("creates the pool, tape, source and job at South from the forms as sent", async () => {
    const south = String(at.south.site);
    const pool = await hub.postForm("/pools", { name: "south weekly", siteId: south }, ops);
    expect(pool.status, await pool.text()).toBe(201);
    const tape = await hub.postForm("/tapes", { barcode: "SOUTH1L9", siteId: south }, ops);
    expect(tape.status, await tape.text()).toBe(201);
    const source = await hub.postForm(
      "/sources",
      { name: "south docs", kind: "local", paths: "/docs", siteId: south, agentId: at.south.agent },
      ops,
    );
    expect(source.status, await source.text()).toBe(201);
    const job = await hub.postForm(
      "/jobs",
      {
        name: "south nightly",
        kind: "backup",
        siteId: south,
        sourceId: String(at.south.source),
        poolId: String(at.south.pool),
      },
      ops,
    );
    expect(job.status, await job.text()).toBe(201);
    const pools = await api<{ items: { name: string; siteId: number | null }[] }>("GET", "/api/v1/pools");
    expect(pools.items.find((p) => p.name === "south weekly")?.siteId).toBe(at.south.site);
    const tapes = await api<{ items: { barcode: string; siteId: number | null }[] }>("GET", "/api/v1/tapes");
    expect(tapes.items.find((t) => t.barcode === "SOUTH1L9")?.siteId).toBe(at.south.site);
  });

  it("lets the operator of South re-bind their pool only to South, never to no site; an unscoped one may unbind it", async () => {
    const unbind = await hub.postForm(`/pools/${at.south.pool}`, { siteId: "none" }, ops);
    expect(unbind.status).toBe(403);
    expect(await unbind.text()).toContain("Choose one of your sites for the pool");
    const elsewhere = await hub.postForm(`/pools/${at.south.pool}`, { siteId: String(at.north.site) }, ops);
    expect(elsewhere.status).toBe(403);
    // The API refuses the same: a scoped operator cannot make their pool hub-wide.
    const viaApi = await hub.request(`/api/v1/pools/${at.south.pool}`, {
      method: "PATCH",
      token: ops,
      json: { siteId: null },
    });
    expect(viaApi.status).toBe(403);
    const pool = await api<{ siteId: number | null }>("GET", `/api/v1/pools/${at.south.pool}`);
    expect(pool.siteId).toBe(at.south.site);
    // An unscoped operator may unbind it.
    const operator = await hub.tokenFor("operator");
    expect((await hub.postForm(`/pools/${at.south.pool}`, { siteId: "none" }, operator)).status).toBe(200);
    expect((await api<{ siteId: number | null }>("GET", `/api/v1/pools/${at.south.pool}`)).siteId).toBeNull();
  });

  it("lists on the new-job form only the sources and pools at sites the user operates, and unbound pools", async () => {
    const shared = (await api<{ id: number }>("POST", "/api/v1/pools", { name: "pool-unbound" })).id;
    const user = await api<{ id: number }>("POST", "/api/v1/users", {
      username: "ops-south-reads-north",
      password: USER_PASSWORD,
      role: "operator",
    });
    await api("PUT", `/api/v1/users/${user.id}/site-roles`, {
      sites: [
        { siteId: at.south.site, role: "operator" },
        { siteId: at.north.site, role: "read-only" },
      ],
    });
    const login = await hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "ops-south-reads-north", password: USER_PASSWORD },
    });
    const token = ((await login.json()) as { token: string }).token;
    // North is theirs to read: its jobs page lists North's sources.
    expect(await (await hub.request("/sources", { token })).text()).toContain("files-north");
    const html = await (await hub.request("/jobs/new", { token })).text();
    const select = (name: string) =>
      html.match(new RegExp(`<select name="${name}"[^>]*>(.*?)</select>`, "s"))?.[1] ?? "";
    const options = (name: string) => [...select(name).matchAll(/value="(\d+)"/g)].map((m) => Number(m[1]));
    expect(options("sourceId")).toContain(at.south.source);
    expect(options("sourceId")).not.toContain(at.north.source);
    expect(options("poolId")).toEqual(expect.arrayContaining([at.south.pool, shared]));
    expect(options("poolId")).not.toContain(at.north.pool);
    // A South job's edit form offers the same.
    const job = (
      await api<{ id: number }>("POST", "/api/v1/jobs", {
        name: "south edit",
        sourceId: at.south.source,
        poolId: at.south.pool,
      })
    ).id;
    const edit = (await (await hub.request(`/jobs/${job}`, { token })).text()).split(
      `hx-post="/jobs/${job}"`,
    )[1];
    expect(edit).toContain(`value="${at.south.source}"`);
    expect(edit).not.toContain("files-north");
    expect(edit).not.toContain("pool-north");
    // An unscoped operator is offered every site's.
    const all = await (await hub.request("/jobs/new", { token: await hub.tokenFor("operator") })).text();
    expect(all).toContain("files-north");
    expect(all).toContain("pool-north");
  });

  it("refuses a job form naming another site's key with 403 and a denied audit row, as the API does", async () => {
    const northKey = (
      await api<{ id: number }>("POST", "/api/v1/encryption-keys", {
        name: "north key",
        siteId: at.north.site,
      })
    ).id;
    const form = (keyId: number) => ({
      name: `keyed ${keyId}`,
      kind: "backup",
      siteId: String(at.south.site),
      sourceId: String(at.south.source),
      poolId: String(at.south.pool),
      encryptionKeyId: String(keyId),
    });
    const denied = () =>
      hub.ctx.db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.actor, "ops-south"), eq(auditLogs.outcome, "denied")));
    const before = (await denied()).length;
    const jobs = await count("/api/v1/jobs");
    const created = await hub.postForm("/jobs", form(northKey), ops);
    const words = await created.text();
    expect(created.status, words).toBe(403);
    expect(words).toMatch(/your role at the site of encryption-key \d+ is none; this needs operate/);
    expect(await count("/api/v1/jobs")).toBe(jobs);
    const job = (
      await api<{ id: number }>("POST", "/api/v1/jobs", {
        name: "south keyless",
        sourceId: at.south.source,
        poolId: at.south.pool,
      })
    ).id;
    const edited = await hub.postForm(`/jobs/${job}`, form(northKey), ops);
    expect(edited.status, await edited.text()).toBe(403);
    expect(
      (await api<{ encryptionKeyId: number | null }>("GET", `/api/v1/jobs/${job}`)).encryptionKeyId,
    ).toBeNull();
    const rows = (await denied()).slice(before);
    expect(rows.map((r) => r.action)).toEqual(["job.create", "job.update"]);
  });

  it("gives the Proxmox source forms the same site select, and checks the agent is at the chosen site", async () => {
    const html = await (await hub.request("/sources", { token: admin })).text();
    const form = html.split('hx-post="/proxmox-sources"')[1]?.split("</form>")[0] ?? "";
    const select = form.match(/<select name="siteId">(.*?)<\/select>/s)?.[1] ?? "";
    expect(select).toContain('<option value="none" selected>No site</option>');
    expect(select).toContain(`<option value="${at.south.site}">&lt;b&gt;South&lt;/b&gt;</option>`);
    expect(form).toContain(`<option value="${at.north.agent}">host-north (North)</option>`);
    expect(form).not.toContain("<b>South</b>");
    const proxmox = (siteId: number) => ({
      name: `pve at ${siteId}`,
      apiUrl: "https://pve1.lan:8006",
      tokenId: "tapebackarr@pve!tape",
      tokenSecret: "0b6c3f9e-5d1a-4c2b-9e7f-1a2b3c4d5e6f",
      node: "pve1",
      siteId: String(siteId),
      agentId: at.south.agent,
    });
    const before = await count("/api/v1/sources");
    const mixed = await hub.postForm("/proxmox-sources", proxmox(at.north.site), admin);
    expect(mixed.status).toBe(400);
    expect(await mixed.text()).toContain("The agent is at &lt;b&gt;South&lt;/b&gt;, not at North");
    expect(await count("/api/v1/sources")).toBe(before);
    const created = await hub.postForm("/proxmox-sources", proxmox(at.south.site), admin);
    expect(created.status, await created.text()).toBe(201);
    const sources = await api<{ items: { id: number; name: string }[] }>("GET", "/api/v1/sources");
    const id = sources.items.find((x) => x.name === `pve at ${at.south.site}`)?.id as number;
    // Its edit form shows the site its agent is at; an edit naming another site is refused alike.
    const page = await (await hub.request("/sources", { token: admin })).text();
    const edit = page.split(`hx-post="/proxmox-sources/${id}"`)[1]?.split("</form>")[0] ?? "";
    expect(edit).toContain(`<option value="${at.south.site}" selected>`);
    const moved = await hub.postForm(`/proxmox-sources/${id}`, proxmox(at.north.site), admin);
    expect(moved.status).toBe(400);
  });
  it("the restore wizard offers a site-scoped user their sites' sets and jobs only, and names each hit's key", async () => {
    const setAt: Record<"north" | "south", number> = { north: 0, south: 0 };
    for (const key of ["north", "south"] as const) {
      const job = await api<{ id: number }>("POST", "/api/v1/jobs", {
        name: `wizard-${key}`,
        sourceId: at[key].source,
        poolId: at[key].pool,
      });
      setAt[key] = await insertSet(hub, {
        jobId: job.id,
        encryption: "aes-256-gcm",
        encryptionKeyFingerprint: `fp-${key}-${"0".repeat(56)}`,
      });
      await hub.ctx.db.insert(catalogEntries).values(fileEntry(setAt[key], "srv", `wizard-hit-${key}.txt`));
    }
    const html = await (await hub.request("/restore?q=wizard-hit", { token: ops })).text();
    expect(html).toContain(`/restore/sets/${setAt.south}"`);
    expect(html).not.toContain(`/restore/sets/${setAt.north}"`);
    expect(html).toContain(">wizard-south</option>");
    expect(html).not.toContain(">wizard-north</option>");
    // The hit names the key its set is encrypted with, so the operator knows which sheet to fetch.
    const hit = html.split("wizard-hit-south.txt")[1]?.split("</tr>")[0] ?? "";
    expect(hit).toContain(`fp-south-${"0".repeat(56)}`);
    expect(html).not.toContain("wizard-hit-north.txt");
    // An unscoped admin sees both.
    const all = await (await hub.request("/restore?q=wizard-hit", { token: admin })).text();
    expect(all).toContain(`/restore/sets/${setAt.north}"`);
    expect(all).toContain("wizard-hit-north.txt");
  });
});
