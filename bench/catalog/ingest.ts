/**
 * Catalog ingest rate into the embedded libSQL file: 40 chunks × 5,000 entries through the
 * hub's own ingest service, as agents post them. Run: npx tsx bench/catalog/ingest.ts
 */
import { agents, backupSets, jobRuns, jobs, workOrders } from "../../functions/db/schema/index.ts";
import { ingestCatalogChunk } from "../../functions/services/orders/order-reports.ts";
import { createTestHub } from "../../test/helpers/hub.ts";

const N = 5000;
const CHUNKS = 40;
const hub = await createTestHub();
const now = new Date();
const { db } = hub.ctx;
await db.insert(agents).values({ id: "bench-agent", name: "bench", createdAt: now, updatedAt: now });
const [job] = await db.insert(jobs).values({ name: "bench", createdAt: now, updatedAt: now }).returning();
const [run] = await db
  .insert(jobRuns)
  .values({ jobId: job?.id as number, kind: "backup", triggeredBy: "bench", queuedAt: now })
  .returning();
const uuid = crypto.randomUUID();
await db.insert(backupSets).values({
  uuid,
  runId: run?.id,
  backupType: "full",
  compression: "none",
  encryption: "none",
  blockSize: 65536,
  startedAt: now,
  createdAt: now,
});
const [order] = await db
  .insert(workOrders)
  .values({
    id: crypto.randomUUID(),
    agentId: "bench-agent",
    runId: run?.id,
    kind: "backup",
    payload: {},
    createdAt: now,
    expiresAt: now,
  })
  .returning();
if (!order) throw new Error("no order");
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
