import { readFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { documentedBlocks } from "../../contracts/doc-blocks.ts";
import { mediaSets, pools, tapes } from "../../functions/db/schema/index.ts";
import { passportCommands } from "../../functions/services/passports/passport-commands.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const doc = await readFile(new URL("../../docs/tape-format.md", import.meta.url), "utf8");

describe("a passport's commands, cut from docs/tape-format.md's tested blocks", () => {
  it("renumbers the tape files for the third set on a tape (files 5 and 6)", () => {
    const [toc, verify] = passportCommands(doc, {
      dataFile: 5,
      tocFile: 6,
      compression: "none",
      encrypted: false,
    });
    expect(toc?.sh).toBe(documentedBlocks(doc).get("toc")?.replaceAll("file-0002", "file-0006"));
    expect(verify?.sh).toBe(
      documentedBlocks(doc)
        .get("verify")
        ?.replaceAll("file-0001", "file-0005")
        .replaceAll("file-0002", "file-0006"),
    );
  });

  it("decompresses as the set was written: zstd, gzip, or not at all for an encrypted set", () => {
    const sh = (compression: string) =>
      passportCommands(doc, { dataFile: 1, tocFile: 2, compression, encrypted: true })[1]?.sh ?? "";
    expect(sh("zstd")).toBe(documentedBlocks(doc, "test-stream").get("decrypt"));
    expect(sh("gzip")).toContain('"$CART/file-0001" | gzip -dc | { tar -t; cat > /dev/null; }');
    expect(sh("none")).toContain('"$CART/file-0001" | { tar -t; cat > /dev/null; }');
    const gzipPlain = passportCommands(doc, {
      dataFile: 3,
      tocFile: 4,
      compression: "gzip",
      encrypted: false,
    })[1];
    expect(gzipPlain?.sh).toContain('gzip -dc < "$CART/file-0003"');
  });
});

describe("the passports of a media set going offsite", () => {
  let hub: TestHub;
  afterAll(() => hub?.close());

  it("prints every tape of the media set, and only those, each naming its media set; the retention page links to it", async () => {
    hub = await createTestHub();
    const admin = await hub.tokenFor("admin");
    const now = hub.ctx.now();
    const [pool] = await hub.ctx.db
      .insert(pools)
      .values({ name: "Offsite", createdAt: now, updatedAt: now })
      .returning();
    const poolId = pool?.id as number;
    const [away, home] = await hub.ctx.db
      .insert(mediaSets)
      .values([
        { poolId, state: "closed", startedAt: now },
        { poolId, state: "open", startedAt: now },
      ])
      .returning();
    const tape = (barcode: string, mediaSetId: number) => ({
      barcode,
      label: barcode,
      uuid: crypto.randomUUID(),
      poolId,
      mediaSetId,
      state: "full" as const,
      createdAt: now,
      updatedAt: now,
    });
    await hub.ctx.db
      .insert(tapes)
      .values([
        tape("OFF001L9", away?.id as number),
        tape("OFF002L9", away?.id as number),
        tape("HOM001L9", home?.id as number),
      ]);
    const res = await hub.request(`/media-sets/${away?.id}/passports`, { token: admin });
    expect(res.status).toBe(200);
    const html = await res.text();
    const barcodes = [...html.matchAll(/data-barcode="([^"]+)"/g)].map((m) => m[1]);
    expect(barcodes).toEqual(["OFF001L9", "OFF002L9"]);
    expect(html.match(/<th>Media set<\/th>\s*<td>#(\d+)<\/td>/g)).toHaveLength(2);
    expect(html).toContain(`<td>#${away?.id}</td>`);
    expect((await hub.request("/media-sets/9999/passports", { token: admin })).status).toBe(404);
    const retention = await (await hub.request("/retention", { token: admin })).text();
    expect(retention).toContain(`href="/media-sets/${away?.id}/passports"`);
  });
});
