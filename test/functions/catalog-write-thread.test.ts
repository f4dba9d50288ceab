import { asc, count, eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_CATALOG_CHUNK_ENTRIES } from "../../contracts/agent-protocol.ts";
import { openCatalog } from "../../functions/db/client-node.ts";
import { agents, catalogChunks, catalogEntries } from "../../functions/db/schema/index.ts";
import { acknowledgedBackupOrder, fileAt } from "../helpers/backup-order.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const N = MAX_CATALOG_CHUNK_ENTRIES;
/** Names as real shares hold them: 150–250 bytes of mixed UTF-8 (2-, 3- and 4-byte characters). */
const LONG_DIR = "Bücher-報告書-😀-".repeat(8);
const LONG_NAME = "résumé-年度-𝄞-".repeat(11);
const chunkOf = (setUuid: string, seq: number) => ({
  setUuid,
  seq,
  entries: Array.from({ length: N }, (_, i) =>
    fileAt(`srv/share/d${seq}/${LONG_DIR}${i % 97}/<b>${i}-${LONG_NAME}.txt`, (seq * N + i) * 512),
  ),
});
const entriesOf = (hub: TestHub, setId: number) =>
  hub.ctx.db.select({ n: count() }).from(catalogEntries).where(eq(catalogEntries.setId, setId));

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const hub of hubs) await hub.close();
  hubs = [];
});

async function backupHub(opts: { writeThread?: false } = {}) {
  const hub = await createTestHub({}, opts);
  hubs.push(hub);
  const backup = await acknowledgedBackupOrder(hub, await hub.tokenFor("admin"));
  const post = (seq: number) =>
    backup.agent.call("POST", `/orders/${backup.orderId}/catalog`, chunkOf(backup.setUuid, seq));
  return { hub, ...backup, post };
}

/** Resolves once `condition` holds, looking again at each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** Catalog chunks go to a worker thread on Node's embedded catalog (docs/adr/0029). */
describe("catalog chunks written by the catalog's write thread", () => {
  it("holds exactly the rows and chunk markers that the request thread's own batch writes", async () => {
    const threaded = await backupHub();
    // The second hub as D1 and remote libSQL run it: the batch on the request's thread.
    const inline = await backupHub({ writeThread: false });
    for (const side of [threaded, inline]) {
      for (const seq of [0, 1, 0]) expect((await side.post(seq)).status).toBe(200);
    }
    expect(threaded.hub.catalog.writes?.thread).not.toBeNull();
    expect(inline.hub.catalog.writes?.thread).toBeNull();
    const rows = (side: typeof threaded) =>
      side.hub.ctx.db
        .select({
          dir: catalogEntries.dir,
          name: catalogEntries.name,
          type: catalogEntries.type,
          size: catalogEntries.size,
          mode: catalogEntries.mode,
          mtime: catalogEntries.mtime,
          sha256: catalogEntries.sha256,
          offset: catalogEntries.offset,
          segment: catalogEntries.segment,
          endSegment: catalogEntries.endSegment,
          deleted: catalogEntries.deleted,
        })
        .from(catalogEntries)
        .where(eq(catalogEntries.setId, side.setId))
        .orderBy(asc(catalogEntries.id));
    const threadedRows = await rows(threaded);
    expect(threadedRows).toHaveLength(2 * N);
    expect(threadedRows).toEqual(await rows(inline));
    const markers = (side: typeof threaded) =>
      side.hub.ctx.db
        .select({ sequence: catalogChunks.sequence, entries: catalogChunks.entries })
        .from(catalogChunks)
        .where(eq(catalogChunks.setId, side.setId))
        .orderBy(asc(catalogChunks.sequence));
    expect(await markers(threaded)).toEqual([
      { sequence: 0, entries: N },
      { sequence: 1, entries: N },
    ]);
    expect(await markers(threaded)).toEqual(await markers(inline));
  });

  it("lets no write of the request thread or of a second connection fail while chunks ingest", async () => {
    const { hub, agent, setId, post } = await backupHub();
    // A second connection to the same file, as a second hub process would have: its writes meet
    // the thread's lock in SQLite's busy handler, not at this process's gate.
    const other = openCatalog(`file:${hub.dir}/catalog.db`);
    const chunks = 6;
    let ingesting = true;
    const ingest = Promise.all(Array.from({ length: chunks }, (_, seq) => post(seq))).finally(() => {
      ingesting = false;
    });
    const errors: unknown[] = [];
    let writes = 0;
    const writer = async (write: () => Promise<unknown>) => {
      // Each writer writes until the last chunk is in, and at least a few times.
      for (let i = 0; ingesting || i < 3; i++) {
        try {
          await write();
          writes++;
        } catch (error) {
          errors.push(error);
        }
        // The next write in a later turn of the loop, as the next request would come.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const touch = (db: typeof hub.ctx.db) => () =>
      db.update(agents).set({ lastSeenAt: new Date() }).where(eq(agents.id, agent.agentId));
    // A batch that reads first, then writes: one that upgraded a read to a write would fail busy.
    const readThenWrite = (db: typeof hub.ctx.db) => () =>
      db.batch([
        db.select({ n: count() }).from(catalogEntries),
        db.update(agents).set({ updatedAt: new Date() }).where(eq(agents.id, agent.agentId)),
      ]);
    try {
      await Promise.all([
        ...Array.from({ length: 30 }, () => writer(touch(hub.ctx.db))),
        ...Array.from({ length: 10 }, () => writer(readThenWrite(hub.ctx.db))),
        ...Array.from({ length: 4 }, () => writer(touch(other.db))),
        ...Array.from({ length: 4 }, () => writer(readThenWrite(other.db))),
      ]);
      const answers = await ingest;
      expect(errors.map(String)).toEqual([]);
      expect(answers.map((a) => a.status)).toEqual(Array(chunks).fill(200));
      expect(writes).toBeGreaterThanOrEqual(48 * 3);
      expect(await entriesOf(hub, setId)).toEqual([{ n: chunks * N }]);
    } finally {
      await other.writes?.close();
      other.client.close();
    }
  });

  it("fails the report of a chunk its thread died under, and takes the re-sent chunk once", async () => {
    const { hub, setId, post } = await backupHub();
    const writes = hub.catalog.writes;
    if (!writes) throw new Error("an embedded catalog has a write thread");
    // A second connection holds the write lock, so the thread cannot finish the chunk before it
    // is stopped, however fast or slow this machine is.
    const other = openCatalog(`file:${hub.dir}/catalog.db`);
    const lock = await other.client.transaction("write");
    const answer = post(0);
    await until(() => writes.busy !== undefined && writes.thread !== null);
    const dying = writes.thread;
    const stopped = dying?.terminate();
    await lock.rollback();
    await stopped;
    other.client.close();
    const failed = await answer;
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { error: { message: string } }).error.message).toMatch(
      /catalog's write thread stopped .* send again/,
    );
    // The agent re-sends it: a new thread takes it, and the chunk is in once.
    expect((await post(0)).status).toBe(200);
    expect(writes.thread).not.toBeNull();
    expect(writes.thread).not.toBe(dying);
    expect((await post(1)).status).toBe(200);
    expect(await entriesOf(hub, setId)).toEqual([{ n: 2 * N }]);
    const marker = await hub.ctx.db.all(
      sql`select count(*) as n from catalog_chunks where set_id = ${setId}`,
    );
    expect(marker).toEqual([{ n: 2 }]);
  });

  it("ends with the hub: a closed catalog's thread is gone and refuses more work", async () => {
    const { hub, post } = await backupHub();
    expect((await post(0)).status).toBe(200);
    const thread = hub.catalog.writes?.thread;
    expect(thread).not.toBeNull();
    const exited = new Promise<number>((resolve) => thread?.once("exit", resolve));
    await hub.catalog.writes?.close();
    await exited;
    expect(hub.catalog.writes?.thread).toBeNull();
    await expect(hub.catalog.writes?.batch([{ sql: "select 1", params: [] }])).rejects.toThrow(/stopping/);
  });
});
