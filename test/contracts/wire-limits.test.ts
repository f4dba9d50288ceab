import { describe, expect, it } from "vitest";
import {
  type CatalogChunk,
  type CatalogEntry,
  LogLines,
  MAX_CATALOG_CHUNK_ENTRIES,
  MAX_LOG_LINES_PER_REPORT,
  MAX_REPORT_BYTES,
  MAX_RESTORE_RESULTS_PER_REPORT,
  scanChunkSeq,
} from "../../contracts/agent-protocol.ts";
import { DEFAULT_TUNING } from "../../drive-agent/orders/backup.ts";
import { CatalogBatcher, cutCatalogChunks } from "../../drive-agent/pipeline/catalog-batch.ts";
import { splitByBytes } from "../../drive-agent/runtime/hub-reporter.ts";
import { acknowledgedBackupOrder, fileAt } from "../helpers/backup-order.ts";
import { errorOf, hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

const SET = "1b4e28ba-2fa1-41d2-883f-0016d3cca427";
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** A name of exactly `bytes` UTF-8 bytes mixing "é" (2 bytes), "日本" (6) and ASCII, unique by `id`. */
function utf8Name(id: number, bytes: number): string {
  let name = `${id}-`;
  for (let k = 0; Buffer.byteLength(name) + 6 <= bytes; k++) name += k % 3 === 2 ? "日本" : "é";
  return name + "x".repeat(bytes - Buffer.byteLength(name));
}

/**
 * `count` entries of a deep tree with names of 100–250 bytes (50 files a directory, 2 to 5
 * levels), a third of them symlinks with long targets: about 1 KiB of JSON an entry.
 */
function longUtf8Entries(count: number): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (let i = 0; i < count; i++) {
    const d = Math.floor(i / 50);
    const dirs = Array.from({ length: 2 + (d % 4) }, (_, level) =>
      utf8Name(d * 10 + level, 100 + ((d * 53 + level * 29) % 151)),
    );
    const path = [...dirs, utf8Name(i, 100 + ((i * 37) % 151))].join("/");
    const symlink = i % 3 === 0;
    entries.push([
      path,
      symlink ? "symlink" : "file",
      symlink ? 0 : i * 7,
      0o644,
      1000,
      1000,
      1_700_000_000 + i,
      symlink ? `../${utf8Name(i + 1, 200)}` : null,
      symlink ? null : "d".repeat(64),
      i * 1024,
      i < count / 2 ? 0 : 1,
      i < count / 2 ? 0 : 1,
      false,
    ]);
  }
  return entries;
}

/** The JSON of a catalog chunk of exactly `bytes` bytes, in long ASCII paths (about 1,400 entries). */
function chunkJsonOf(setUuid: string, seq: number, bytes: number): string {
  // Fixed-width names and offsets: every entry's JSON is `base` bytes plus its padding.
  const entry = (i: number, pad: number) =>
    fileAt(`big/${String(i).padStart(6, "0")}-${"x".repeat(pad)}`, 1_000_000 + i);
  const base = bytesOf(entry(0, 0));
  const entries: CatalogEntry[] = [];
  let size = bytesOf({ setUuid, seq, entries: [] });
  const full = base + 3000 + 1;
  while (bytes - size > 2 * full) {
    entries.push(entry(entries.length, 3000));
    size += (entries.length === 1 ? 0 : 1) + base + 3000;
  }
  // The rest in two entries: the first takes about half, the last exactly what is left.
  const comma = entries.length === 0 ? 0 : 1;
  const half = Math.floor((bytes - size - comma - 1) / 2);
  entries.push(entry(entries.length, half - base));
  size += comma + half;
  entries.push(entry(entries.length, bytes - size - 1 - base));
  const json = JSON.stringify({ setUuid, seq, entries });
  expect(Buffer.byteLength(json)).toBe(bytes);
  return json;
}

describe("one wire limit, stated in contracts, holds on the agent and at the hub", () => {
  it("cuts 20,000 entries with long UTF-8 paths into chunks within both limits, every entry once and in order", () => {
    const entries = longUtf8Entries(20_000);
    // Cut by count alone, these chunks would be refused by the hub: the byte cut is what matters.
    const byCount = Array.from({ length: 4 }, (_, i) => ({
      setUuid: SET,
      seq: i,
      entries: entries.slice(i * MAX_CATALOG_CHUNK_ENTRIES, (i + 1) * MAX_CATALOG_CHUNK_ENTRIES),
    }));
    expect(Math.min(...byCount.map(bytesOf))).toBeGreaterThan(MAX_REPORT_BYTES);

    const chunks: CatalogChunk[] = [];
    let next = 41;
    const batcher = new CatalogBatcher(
      SET,
      () => next++,
      (chunk) => chunks.push(chunk),
    );
    for (const entry of entries) batcher.add(entry);
    batcher.cut();

    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => 41 + i));
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.setUuid).toBe(SET);
      expect(chunk.entries.length).toBeLessThanOrEqual(MAX_CATALOG_CHUNK_ENTRIES);
      expect(bytesOf(chunk)).toBeLessThanOrEqual(MAX_REPORT_BYTES);
      // Cut as late as the limit allows: no chunk but the last is much smaller than it.
      if (i < chunks.length - 1) expect(bytesOf(chunk)).toBeGreaterThan(MAX_REPORT_BYTES - 16 * 1024);
    }
    expect(chunks.flatMap((c) => c.entries)).toEqual(entries);
    const tallies = batcher.tallies(2);
    expect(tallies.map((t) => [t.sequence, t.entries])).toEqual([
      [0, 10_000],
      [1, 10_000],
    ]);
  });

  it("cuts short paths by the entry limit, and a scanned TOC's chunks carry scanChunkSeq numbers", () => {
    const entries = Array.from({ length: 12_001 }, (_, i) => fileAt(`a/${i}`, i * 512));
    const chunks = cutCatalogChunks(SET, entries, (i) => scanChunkSeq(2, i));
    expect(chunks.map((c) => c.entries.length)).toEqual([5_000, 5_000, 2_001]);
    expect(chunks.map((c) => c.seq)).toEqual([2_000_000, 2_000_001, 2_000_002]);
    expect(chunks.flatMap((c) => c.entries)).toEqual(entries);
  });

  it("splits log lines with 4,000-character messages and 4,096-character paths into batches the hub takes", () => {
    const at = new Date(0).toISOString();
    const line = (i: number) => ({
      at,
      level: "warn" as const,
      message: `${i} ${"日本é".repeat(1400)}`.slice(0, 4000),
      path: `${i}/${"é日".repeat(2100)}`.slice(0, 4096),
    });
    const lines = Array.from({ length: 1_500 }, (_, i) => line(i));
    const widest = { seq: 10 ** 15, lines: lines.slice(0, MAX_LOG_LINES_PER_REPORT) };
    expect(bytesOf(widest)).toBeGreaterThan(MAX_REPORT_BYTES);

    const batches = splitByBytes(lines, MAX_LOG_LINES_PER_REPORT);
    expect(batches.length).toBeGreaterThan(2);
    for (const batch of batches) {
      const body = { seq: 10 ** 15, lines: batch };
      expect(batch.length).toBeLessThanOrEqual(MAX_LOG_LINES_PER_REPORT);
      expect(bytesOf(body)).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    }
    expect(LogLines.safeParse({ seq: 10 ** 15, lines: batches[0] }).success).toBe(true);
    expect(batches.flat()).toEqual(lines);

    const short = Array.from({ length: 2_500 }, (_, i) => ({ ...line(i), message: "m", path: null }));
    expect(splitByBytes(short, MAX_LOG_LINES_PER_REPORT).map((b) => b.length)).toEqual([1_000, 1_000, 500]);
  });

  it("splits restore results with the longest paths the contract allows within MAX_REPORT_BYTES", () => {
    const files = Array.from({ length: 6_000 }, (_, i) => ({
      path: `${i}/${"p".repeat(4090)}`,
      outcome: "renamed" as const,
      writtenTo: `${i}/${"w".repeat(8180)}`,
      error: null,
    }));
    const batches = splitByBytes(files, MAX_RESTORE_RESULTS_PER_REPORT);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(MAX_RESTORE_RESULTS_PER_REPORT);
      expect(bytesOf({ files: batch })).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    }
    expect(batches.flat()).toEqual(files);
  });

  it("has the agent's backups cut catalog chunks at the contract's entry limit", () => {
    expect(DEFAULT_TUNING.catalogChunkEntries).toBe(MAX_CATALOG_CHUNK_ENTRIES);
  });
});

describe("the hub's body limits", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  const maxBodyBytes = () => hub.deps.config.MAX_BODY_BYTES;
  const postRaw = (path: string, body: string, token?: string) =>
    hub.request(path, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      ...(token ? { token } : {}),
    });
  /** A JSON object of exactly `bytes` bytes. */
  const jsonOfBytes = (bytes: number) => {
    const shell = JSON.stringify({ username: "admin", password: "" });
    return JSON.stringify({ username: "admin", password: "p".repeat(bytes - shell.length) });
  };

  it("takes an agent's catalog chunk of exactly MAX_REPORT_BYTES and answers 413 to one byte more", async () => {
    const { agent, orderId, setUuid } = await acknowledgedBackupOrder(hub, admin);
    const path = `/agent/v1/orders/${orderId}/catalog`;
    const largest = chunkJsonOf(setUuid, 0, MAX_REPORT_BYTES);
    // What the agent may send is more than browsers may: the agent's order routes have their own limit.
    expect(maxBodyBytes()).toBe(1024 * 1024);
    expect(Buffer.byteLength(largest)).toBeGreaterThan(maxBodyBytes());

    const taken = await postRaw(path, largest, await agent.token());
    expect(taken.status).toBe(200);
    expect(await taken.json()).toMatchObject({ duplicate: false });

    const over = await postRaw(path, chunkJsonOf(setUuid, 1, MAX_REPORT_BYTES + 1), await agent.token());
    expect(over.status).toBe(413);
    const error = await errorOf(over);
    expect(error.code).toBe("payload_too_large");
    expect(error.message).toContain(String(MAX_REPORT_BYTES));
  });

  it("refuses a chunk of more than MAX_CATALOG_CHUNK_ENTRIES entries, however small", async () => {
    const { agent, orderId, setUuid } = await acknowledgedBackupOrder(hub, admin);
    const entries = Array.from({ length: MAX_CATALOG_CHUNK_ENTRIES + 1 }, (_, i) => fileAt(`f${i}`, i));
    const res = await agent.call("POST", `/orders/${orderId}/catalog`, { setUuid, seq: 0, entries });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("validation_failed");
  });

  it("holds browsers and API clients to MAX_BODY_BYTES", async () => {
    const login = "/api/v1/auth/login";
    expect((await postRaw(login, jsonOfBytes(maxBodyBytes()))).status).not.toBe(413);
    const over = await postRaw(login, jsonOfBytes(maxBodyBytes() + 1));
    expect(over.status).toBe(413);
    expect((await errorOf(over)).message).toContain(String(maxBodyBytes()));
  });

  it("holds unauthenticated agent routes, and an agent's posts outside its orders, to MAX_BODY_BYTES", async () => {
    const { agent, orderId } = await acknowledgedBackupOrder(hub, admin);
    const big = jsonOfBytes(maxBodyBytes() + 1);
    expect((await postRaw("/agent/v1/enroll", big)).status).toBe(413);
    expect((await postRaw(`/agent/v1/orders/${orderId}/catalog`, big)).status).toBe(413);
    const user = await hub.tokenFor("admin");
    expect((await postRaw(`/agent/v1/orders/${orderId}/catalog`, big, user)).status).toBe(413);
    expect((await postRaw("/agent/v1/heartbeat", big, await agent.token())).status).toBe(413);
  });
});
