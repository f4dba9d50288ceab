import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceSecrets } from "../../functions/db/schema/index.ts";
import { recordInventory } from "../../functions/services/guests/record-inventory.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const SECRET = "5f0c2a8e-6a3b-4f9e-9c1d-2b7e8a4f6c10";
const FINGERPRINT = `${"ab:".repeat(31)}ab`;

describe("Proxmox source and guests pages", () => {
  let hub: TestHub;
  let admin: string;
  let operator: string;
  let sourceId: number;

  beforeAll(async () => {
    hub = await createTestHub();
    admin = await hub.tokenFor("admin");
    operator = await hub.tokenFor("operator");
  });
  afterAll(() => hub.close());

  const form = {
    name: "pve1 guests",
    apiUrl: "https://pve1.lan:8006",
    tokenId: "tapebackarr@pve!tape",
    tokenSecret: SECRET,
    fingerprint: FINGERPRINT,
    node: "pve1",
    by: "tags",
    values: "tape, prod",
    exclude: "105",
    mode: "stop",
  };

  it("an admin's Proxmox source form stores the guest selection, and the secret only wrapped", async () => {
    const res = await hub.postForm("/proxmox-sources", form, admin);
    expect(res.status, await res.clone().text()).toBe(201);
    const [source] = (
      await hub.requestJson<{ items: { id: number; kind: string; options: Record<string, unknown> }[] }>(
        "/api/v1/sources",
        { token: admin },
      )
    ).items;
    sourceId = source?.id as number;
    expect(source?.kind).toBe("proxmox");
    expect(source?.options).toMatchObject({
      node: "pve1",
      fingerprint: FINGERPRINT.toUpperCase(),
      mode: "stop",
      selection: { by: "tags", tags: ["tape", "prod"], exclude: [105], includeTemplates: false },
    });
    expect(JSON.stringify(source)).not.toContain(SECRET);
    const [stored] = await hub.ctx.db.select().from(sourceSecrets);
    expect(stored?.sourceId).toBe(sourceId);
    expect(stored?.wrapped).not.toContain(SECRET);
  });

  it("an operator may not make a Proxmox source: its form carries a credential", async () => {
    const res = await hub.postForm("/proxmox-sources", { ...form, name: "other" }, operator);
    expect(res.status).toBe(403);
  });

  it("the guests page shows the discovered guests as text, and the discovery error in words", async () => {
    await recordInventory(hub.ctx, sourceId, {
      state: "completed",
      error: null,
      inventory: {
        nodes: [{ node: "pve1", status: "online" }],
        guests: [
          {
            vmid: 100,
            type: "qemu",
            name: "<script>alert(1)</script>",
            node: "pve1",
            status: "running",
            tags: ["tape"],
            pool: null,
            template: false,
            maxdiskBytes: 4 << 30,
            disks: [{ key: "scsi0", volume: "local-lvm:vm-100-disk-0", sizeBytes: 4 << 30 }],
          },
        ],
      },
    });
    let html = await (await hub.request(`/sources/${sourceId}/guests`, { token: operator })).text();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("never");
    await recordInventory(hub.ctx, sourceId, { state: "failed", error: "the PVE API refused token <x>" });
    html = await (await hub.request(`/sources/${sourceId}/guests`, { token: operator })).text();
    expect(html).toContain("The last discovery failed");
    expect(html).toContain("refused token &lt;x&gt;");
    // The guests found before are still listed.
    expect(html).toContain('id="guest-qemu-100"');
  });

  it("a Proxmox source given paths, or no valid API settings, is refused", async () => {
    const res = await hub.requestJson<{ error: { message: string } }>("/api/v1/sources", {
      method: "POST",
      token: admin,
      json: {
        name: "bad",
        kind: "proxmox",
        options: { apiUrl: "http://pve1:8006", tokenId: "x", node: "pve1" },
      },
    });
    expect(res.error.message).toContain("must be an https:// URL");
    expect(res.error.message).toContain("must look like user@realm!tokenid");
  });
});
