/**
 * Catalog ingest rate into the embedded libSQL file: 40 chunks × 5,000 entries through the
 * hub's own ingest service, as agents post them. Run: npx tsx bench/catalog/ingest.ts
 */
import { ingestCatalogChunk } from "../../functions/services/orders/ingest-catalog-chunk.ts";
import { createTestHub } from "../../test/helpers/hub.ts";
import { ingestTarget } from "./ingest-target.ts";

const N = 5000;
const CHUNKS = 40;
const hub = await createTestHub();
const { order, uuid } = await ingestTarget(hub);
const chunks = Array.from({ length: CHUNKS }, (_, c) => ({
  setUuid: uuid,
  seq: c,
  entries: Array.from({ length: N }, (_, i) => [
    `srv/share/dir${c}/sub${i % 50}/file-${i}.dat`,
    "file",
    1234,
    0o644,
    0,
    0,
    1700000000,
    null,
    "ab".repeat(32),
    i * 1536,
    0,
    0,
    false,
  ]),
}));
const started = performance.now();
for (const chunk of chunks) await ingestCatalogChunk(hub.ctx, order, chunk);
const seconds = (performance.now() - started) / 1000;
console.log(
  `${N * CHUNKS} entries in ${seconds.toFixed(2)} s = ${Math.round((N * CHUNKS) / seconds)} entries/s`,
);
await hub.close();
