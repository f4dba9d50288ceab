import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { CatalogSnapshot } from "../deps.ts";
import type { NodeCatalog } from "./client-node.ts";

/**
 * A consistent copy of the embedded catalog: `VACUUM INTO` reads one snapshot (one read
 * transaction, writers go on) into a new, compact file with no free pages, so nothing deleted
 * lingers in it. The file is removed once streamed.
 */
export function nodeCatalogSnapshot(catalog: NodeCatalog): () => Promise<CatalogSnapshot> {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), "tapebackarr-snapshot-"));
    const path = join(dir, "tapebackarr-catalog.db");
    try {
      await catalog.client.execute({ sql: "VACUUM INTO ?", args: [path] });
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
