import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { CatalogChunk, CatalogEntry } from "../../contracts/agent-protocol.ts";
import {
  CatalogDigest,
  canonicalEntryLine,
  joinCatalogPath,
  splitCatalogPath,
} from "../../contracts/catalog-digest.ts";
import { CatalogBatcher } from "../../drive-agent/pipeline/catalog-batch.ts";
import { backupSets } from "../../functions/db/schema/index.ts";
import { tallyHeldCatalog } from "../../functions/services/orders/reconcile-catalog.ts";
import { acknowledgedBackupOrder, segmentOn } from "../helpers/backup-order.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

const SHA = "e".repeat(64);
const entry = (path: string, fields: Partial<Record<number, unknown>> = {}, offset = 0): CatalogEntry => {
  const e: CatalogEntry = [path, "file", 5, 0o644, 1000, 1000, 1_700_000_000, null, SHA, offset, 0, 0, false];
  for (const [i, value] of Object.entries(fields)) (e as unknown[])[Number(i)] = value;
  return e;
};

/** What a set's catalog holds in practice, over two tapes. */
const SET_ENTRIES: CatalogEntry[] = [
  entry("srv", { 1: "dir", 2: 0, 3: 0o755, 8: null }, 0),
  entry("srv/docs/", { 1: "dir", 2: 0, 3: 0o755, 8: null }, 512),
  entry("srv/docs/readme.txt", {}, 1024),
  entry("srv/docs/résumé 日本語.txt", { 2: 1234 }, 2048),
  entry("srv/docs/<script>alert(1)</script>.html", { 2: 99 }, 4096),
  entry('srv/docs/a "quoted" & \\ name', {}, 5120),
  entry("srv/link", { 1: "symlink", 2: 0, 3: 0o777, 7: "docs/readme.txt", 8: null }, 6144),
  entry("srv/empty.bin", { 2: 0, 8: null }, 6656),
  entry("srv/big.iso", { 2: 3_000_000_000, 10: 0, 11: 1 }, 7168),
  entry("srv/on-tape-2/", { 1: "dir", 2: 0, 3: 0o755, 8: null, 10: 1, 11: 1 }, 3_000_010_000),
  entry("srv/on-tape-2/ü.txt", { 10: 1, 11: 1 }, 3_000_010_512),
  entry("srv/fifo", { 1: "fifo", 2: 0, 8: null, 10: 1, 11: 1 }, 3_000_011_024),
  entry("srv/gone.txt", { 2: 0, 8: null, 10: 1, 11: 1, 12: true }, 3_000_011_536),
  entry("srv/gone-dir/", { 1: "dir", 2: 0, 8: null, 10: 1, 11: 1, 12: true }, 3_000_011_536),
];

/** Batches entries as a backup does (small chunks, so there are several) and returns chunks and tallies. */
function batch(setUuid: string, entries: CatalogEntry[]) {
  const chunks: CatalogChunk[] = [];
  let seq = 0;
  const batcher = new CatalogBatcher(
    setUuid,
    () => seq++,
    (chunk) => chunks.push(chunk),
    { entries: 4, bytes: 1 << 20 },
  );
  for (const e of entries) batcher.add(e);
  batcher.cut();
  return { chunks, tallies: batcher.tallies(2) };
}

const digestOf = (entries: CatalogEntry[]) => {
  const digest = new CatalogDigest();
  for (const e of entries) digest.add(e);
  return digest;
};

describe("the catalog digest", () => {
  it("is the same whatever order the entries are added in", () => {
    const forward = digestOf(SET_ENTRIES).hex();
    expect(digestOf([...SET_ENTRIES].reverse()).hex()).toBe(forward);
    const shuffled = [...SET_ENTRIES].sort((a, b) => (a[0] < b[0] ? 1 : -1));
    expect(digestOf(shuffled).hex()).toBe(forward);
    expect(forward).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes when one field of one entry changes, one entry is missing, or one is there twice", () => {
    const whole = digestOf(SET_ENTRIES).hex();
    const resized = SET_ENTRIES.map((e, i) => (i === 3 ? entry(e[0], { 2: 1235 }, e[9]) : e));
    expect(digestOf(resized).hex()).not.toBe(whole);
    expect(digestOf(SET_ENTRIES.slice(1)).hex()).not.toBe(whole);
    expect(digestOf([...SET_ENTRIES, SET_ENTRIES[2] as CatalogEntry]).hex()).not.toBe(whole);
    const undeleted = SET_ENTRIES.map((e) => (e[12] ? ([...e.slice(0, 12), false] as CatalogEntry) : e));
    expect(digestOf(undeleted).hex()).not.toBe(whole);
    expect(new CatalogDigest().hex()).toBe("0".repeat(64));
  });

  it("reads a directory with and without its trailing slash as the same entry, as the catalog stores it", () => {
    const slash = entry("srv/docs/", { 1: "dir" });
    const bare = entry("srv/docs", { 1: "dir" });
    expect(canonicalEntryLine(slash)).toBe(canonicalEntryLine(bare));
    expect(canonicalEntryLine(slash, JSON.stringify(slash))).toBe(JSON.stringify(bare));
    expect(splitCatalogPath("srv/docs/")).toEqual({ dir: "srv", name: "docs" });
    expect(splitCatalogPath("top")).toEqual({ dir: "", name: "top" });
    expect(joinCatalogPath("", "top")).toBe("top");
    expect(joinCatalogPath("srv", "docs")).toBe("srv/docs");
  });
});

describe("what the agent tallies and what the hub holds agree", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  it("gives the agent's per-segment tallies when the hub tallies the rows it ingested through its routes", async () => {
    const { agent, orderId, setUuid, setId } = await acknowledgedBackupOrder(hub, admin);
    const { chunks, tallies } = batch(setUuid, SET_ENTRIES);
    expect(chunks.length).toBeGreaterThan(2);
    // Sent out of order and one of them twice: neither changes what the hub holds.
    for (const chunk of [...chunks].reverse()) {
      const res = await agent.call("POST", `/orders/${orderId}/catalog`, chunk);
      expect(res.status).toBe(200);
    }
    await agent.call("POST", `/orders/${orderId}/catalog`, chunks[0]);

    const held = await tallyHeldCatalog(hub.ctx, setId);
    expect(tallies).toEqual([
      { sequence: 0, entries: 9, digest: held.get(0)?.hex() },
      { sequence: 1, entries: 5, digest: held.get(1)?.hex() },
    ]);
    expect([...held.keys()].sort()).toEqual([0, 1]);

    // And so the hub's reconciliation at the result finds nothing to complain about.
    for (const sequence of [0, 1])
      await agent.call("POST", `/orders/${orderId}/segments`, segmentOn(setUuid, sequence, 100 + sequence));
    await agent.call("POST", `/orders/${orderId}/result`, { state: "completed", catalog: tallies });
    const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId) });
    expect(set).toMatchObject({ state: "complete", catalogProblem: null, fileCount: SET_ENTRIES.length });
  });

  it("tells apart a catalog whose one row the hub holds differently", async () => {
    const { agent, orderId, setUuid, setId } = await acknowledgedBackupOrder(hub, admin);
    const { chunks, tallies } = batch(setUuid, SET_ENTRIES);
    for (const chunk of chunks) await agent.call("POST", `/orders/${orderId}/catalog`, chunk);
    await hub.catalog.client.execute({
      sql: "update catalog_entries set size = size + 1 where set_id = ? and name = ?",
      args: [setId, "ü.txt"],
    });
    const held = await tallyHeldCatalog(hub.ctx, setId);
    expect(held.get(0)?.hex()).toBe(tallies[0]?.digest);
    expect(held.get(1)?.entries).toBe(tallies[1]?.entries);
    expect(held.get(1)?.hex()).not.toBe(tallies[1]?.digest);
  });
});
