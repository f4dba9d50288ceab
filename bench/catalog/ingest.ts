/** Catalog ingest rate into the embedded libSQL file: 40 chunks × 5,000 entries, as agents post them. Run: npx tsx bench/catalog/ingest.ts */

import { agents, backupSets, jobRuns, jobs, workOrders } from "../../functions/db/schema/index.ts";
import { ingestCatalogChunk } from "../../functions/services/orders/order-reports.ts";
import { createTestHub } from "../../test/helpers/hub.ts";

const hub = await createTestHub();
const now = new Date();
await hub.ctx.db.insert(agents).values({ id: "a1", name: "a", createdAt: now, updatedAt: now });
const [job] = await hub.ctx.db.insert(jobs).values({ name: "j", createdAt: now, updatedAt: now }).returning();
const [run] = await hub.ctx.db
  .insert(jobRuns)
  .values({ jobId: job!.id, kind: "backup", triggeredBy: "x", queuedAt: now })
  .returning();
const uuid = crypto.randomUUID();
await hub.ctx.db
  .insert(backupSets)
  .values({
    uuid,
    runId: run!.id,
    backupType: "full",
    compression: "none",
    encryption: "none",
    blockSize: 65536,
    startedAt: now,
    createdAt: now,
  });
const [order] = await hub.ctx.db
  .insert(workOrders)
  .values({
    id: crypto.randomUUID(),
    agentId: "a1",
    runId: run!.id,
    kind: "backup",
    payload: {},
    createdAt: now,
    expiresAt: now,
  })
  .returning();
const N = 5000,
  CHUNKS = 40;
const chunks = Array.from({ length: CHUNKS }, (_, c) => ({
  setUuid: uuid,
  seq: c,
  entries: Array.from({ length: N }, (_, i) => [
    `dir${c}/sub${i % 50}/file-${i}.dat`,
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
const s = performance.now();
for (const chunk of chunks) await ingestCatalogChunk(hub.ctx, order!, chunk);
const secs = (performance.now() - s) / 1000;
console.log(`${N * CHUNKS} entries in ${secs.toFixed(2)} s = ${Math.round((N * CHUNKS) / secs)} entries/s`);
await hub.close();
