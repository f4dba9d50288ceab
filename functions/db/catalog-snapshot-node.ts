import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createClient } from "@libsql/client";
import type { CatalogSnapshot } from "../deps.ts";
import type { NodeCatalog } from "./client-node.ts";

/**
 * A consistent copy of the embedded catalog: `VACUUM INTO` reads one snapshot (one read
 * transaction, writers go on) into a new, compact file with no free pages, so nothing deleted
 * lingers in it. The file is removed once streamed.
 *
 * The copy is the catalog a hub restored from tape starts on, long after this hub is gone: what
 * was still in progress at the snapshot (this very catalog backup among it) cannot go on there.
 * So in the copy, unfinished runs are interrupted, open work orders cancelled and sets still being
 * written incomplete, each saying why: the restored hub then holds no tape reserved by a run
 * that will never end, and shows the sets to rebuild from their tapes.
 */
export function nodeCatalogSnapshot(catalog: NodeCatalog): () => Promise<CatalogSnapshot> {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), "tapebackarr-snapshot-"));
    const path = join(dir, "tapebackarr-catalog.db");
    try {
      await catalog.client.execute({ sql: "VACUUM INTO ?", args: [path] });
      await settleInCopy(path, Date.now());
      const { size } = await stat(path);
      const file = createReadStream(path);
      const cleanup = () => void rm(dir, { recursive: true, force: true });
      file.once("close", cleanup);
      return { size, stream: Readable.toWeb(file) as ReadableStream<Uint8Array> };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  };
}

async function settleInCopy(path: string, now: number): Promise<void> {
  const copy = createClient({ url: `file:${path}` });
  try {
    await copy.batch(
      [
        {
          sql: "update job_runs set state = 'interrupted', finished_at = ?, error = coalesce(error, ?) where finished_at is null",
          args: [
            now,
            "in progress when the catalog was backed up to tape; what it did after that is not in this catalog",
          ],
        },
        {
          sql: "update work_orders set state = 'cancelled', finished_at = ? where state in ('pending', 'delivered', 'acknowledged')",
          args: [now],
        },
        {
          sql: "update backup_sets set state = 'incomplete', catalog_problem = coalesce(catalog_problem, ?) where state = 'writing'",
          args: [
            "being written when the catalog was backed up to tape: rebuild its catalog from its tapes (Rebuild catalog on the restore page)",
          ],
        },
      ],
      "write",
    );
  } finally {
    copy.close();
  }
}
