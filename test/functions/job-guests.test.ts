import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestBackups } from "../../functions/db/schema/index.ts";
import { recordInventory } from "../../functions/services/guests/record-inventory.ts";
import { getJob } from "../../functions/services/jobs/get-job.ts";
import { getSource } from "../../functions/services/sources/get-source.ts";
import { guestSpecOf } from "../../functions/services/sources/guest-spec-of.ts";
import { insertSet } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const SECRET = "5f0c2a8e-6a3b-4f9e-9c1d-2b7e8a4f6c10";

const guest = (vmid: number, fields: Record<string, unknown> = {}) => ({
  vmid,
  type: "qemu" as const,
  name: `vm-${vmid}`,
  node: "pve1",
  status: "running",
  tags: [] as string[],
  pool: null as string | null,
  template: false,
  maxdiskBytes: null,
  disks: [],
  ...fields,
});

describe("a job over a Proxmox source chooses its guests", () => {
  let hub: TestHub;
  let admin: string;
  let operator: string;
  let sourceId: number;
  let localId: number;
  let poolId: number;

  beforeAll(async () => {
    hub = await createTestHub();
    admin = await hub.tokenFor("admin");
    operator = await hub.tokenFor("operator");
    poolId = (
      await hub.requestJson<{ id: number }>("/api/v1/pools", {
        method: "POST",
        token: admin,
        json: { name: "G" },
      })
    ).id;
    sourceId = (
      await hub.requestJson<{ id: number }>("/api/v1/sources", {
        method: "POST",
        token: admin,
        json: {
          name: "pve1",
          kind: "proxmox",
          options: {
            apiUrl: "https://pve1.lan:8006",
            tokenId: "tape@pve!t",
            node: "pve1",
            selection: { by: "all" },
          },
        },
      })
    ).id;
    await hub.request(`/api/v1/sources/${sourceId}/pve-token`, {
      method: "PUT",
      token: admin,
      json: { secret: SECRET },
    });
    localId = (
      await hub.requestJson<{ id: number }>("/api/v1/sources", {
        method: "POST",
        token: admin,
        json: { name: "etc", kind: "local", paths: ["/etc"] },
      })
    ).id;
  });
  afterAll(() => hub.close());

  const jobForm = (fields: Record<string, string>) => ({
    name: "guests nightly",
    kind: "backup",
    sourceId: String(sourceId),
    poolId: String(poolId),
    backupType: "full",
    compression: "zstd",
    encryptionKeyId: "",
    schedule: "",
    retries: "2",
    retryDelayMinutes: "10",
    ...fields,
  });

  it("the job form shows the guest fields with a live preview when a Proxmox source exists", async () => {
    const html = await (await hub.request("/jobs/new", { token: operator })).text();
    expect(html).toContain('name="guestBy"');
    expect(html).toContain("as the Proxmox source says");
    expect(html).toContain('hx-get="/partials/guest-selection"');
  });

  it("the job form stores the job's own choice, and the backup order carries it instead of the source's", async () => {
    const res = await hub.postForm(
      "/jobs",
      jobForm({
        guestBy: "tags",
        guestValues: "tape, prod",
        guestExclude: "105",
        guestIncludeTemplates: "1",
        guestMode: "stop",
      }),
      operator,
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const jobId = Number(res.headers.get("HX-Redirect")?.split("/").pop());
    const job = await getJob(hub.ctx, jobId);
    expect(job.guests).toEqual({
      selection: {
        by: "tags",
        ids: [],
        tags: ["tape", "prod"],
        pools: [],
        exclude: [105],
        includeTemplates: true,
      },
      mode: "stop",
    });
    const spec = await guestSpecOf(hub.ctx, await getSource(hub.ctx, sourceId), job.guests);
    expect(spec).toMatchObject({ mode: "stop", selection: { by: "tags", tags: ["tape", "prod"] } });

    const page = await (await hub.request(`/jobs/${jobId}`, { token: operator })).text();
    expect(page).toContain("guests: tags tape, prod; not 105; templates too; mode stop");

    // "As the source says" clears the job's choice: the order carries the source's selection again.
    const edited = await hub.postForm(
      `/jobs/${jobId}`,
      jobForm({ guestBy: "", guestMode: "snapshot", enabled: "on" }),
      operator,
    );
    expect(edited.status, await edited.clone().text()).toBe(200);
    const cleared = await getJob(hub.ctx, jobId);
    expect(cleared.guests).toBeNull();
    expect(await guestSpecOf(hub.ctx, await getSource(hub.ctx, sourceId), cleared.guests)).toMatchObject({
      mode: "snapshot",
      selection: { by: "all" },
    });
  });

  it("guests chosen for a source of paths, or a malformed selection, are refused in words", async () => {
    const res = await hub.requestJson<{ error: { message: string } }>("/api/v1/jobs", {
      method: "POST",
      token: operator,
      json: { name: "etc", sourceId: localId, poolId, guests: { selection: { by: "all" } } },
    });
    expect(res.error.message).toContain("source etc holds paths, not Proxmox guests");
    const bad = await hub.postForm(
      "/jobs",
      jobForm({ name: "bad", guestBy: "ids", guestValues: "100, abc", guestMode: "snapshot" }),
      operator,
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/expected number|Invalid input/i);
  });

  it("the preview lists the guests the selection names now, leaves templates out unless asked, and names missing ids", async () => {
    const preview = async (query: Record<string, string>) =>
      (
        await hub.request(
          `/partials/guest-selection?${new URLSearchParams({ sourceId: String(sourceId), ...query })}`,
          {
            token: operator,
          },
        )
      ).text();
    expect(await preview({ guestBy: "all" })).toContain("No discovery of pve1 yet");

    await recordInventory(hub.ctx, sourceId, {
      state: "completed",
      error: null,
      inventory: {
        nodes: [{ node: "pve1", status: "online" }],
        guests: [
          guest(100, { name: "<script>x</script>", tags: ["tape"] }),
          guest(101, { tags: ["tape"], template: true }),
          guest(102, { pool: "prod" }),
          guest(103, { node: "pve2", tags: ["tape"] }),
        ],
      },
    });
    const tagged = await preview({ guestBy: "tags", guestValues: "tape" });
    expect(tagged).toContain("This job selects 1 guest on pve1");
    expect(tagged).toContain("100 &lt;script&gt;x&lt;/script&gt; (VM, running)");
    expect(tagged).not.toContain("<script>x");
    expect(tagged).toContain("1 template left out");
    expect(tagged).not.toContain("vm-103");

    const withTemplates = await preview({ guestBy: "tags", guestValues: "tape", guestIncludeTemplates: "1" });
    expect(withTemplates).toContain("This job selects 2 guests");

    const ids = await preview({ guestBy: "ids", guestValues: "102, 999", guestExclude: "" });
    expect(ids).toContain("102 vm-102");
    expect(ids).toContain("Not on pve1: 999");

    const inherited = await preview({ guestBy: "" });
    expect(inherited).toContain("selection names 2 guests on pve1");

    expect(await preview({ guestBy: "pools", guestValues: "nope" })).toContain("No guest matches");
    expect(await preview({ guestBy: "ids", guestValues: "abc" })).toContain('role="alert"');
  });

  it("the main menu's Guests page lists every Proxmox source's guests with their last tape backup", async () => {
    const setId = await insertSet(hub);
    await hub.ctx.db.insert(guestBackups).values({
      setId,
      sourceId,
      vmid: 102,
      type: "qemu",
      name: "vm-102",
      node: "pve1",
      state: "completed",
      bytes: 3 << 20,
      sha256: "a".repeat(64),
      archivePath: "proxmox/pve1/qemu-102/vzdump-qemu-102-2026_01_01-00_00_00.vma",
      parts: 1,
      createdAt: hub.ctx.now(),
    });
    const html = await (await hub.request("/guests", { token: operator })).text();
    expect(html).toContain('href="/guests" aria-current="page"');
    expect(html).toContain(`href="/sources/${sourceId}/guests"`);
    const row = html.slice(html.indexOf('id="guest-qemu-102"'));
    expect(row.slice(0, row.indexOf("</tr>"))).toContain(`href="/restore/sets/${setId}"`);
    // The link lands on a page (it pointed at /sets/N, which is none).
    expect((await hub.request(`/restore/sets/${setId}`, { token: operator })).status).toBe(200);
    expect(html.slice(html.indexOf('id="guest-qemu-100"')).split("</tr>")[0]).toContain("never");
  });
});
