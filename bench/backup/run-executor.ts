/**
 * One executor run in its own process (so its peak RSS is its own); prints one JSON line. With
 * `catalog` as fifth argument its chunks and segments go through the hub's own ingest services
 * into a real libSQL catalog, and the set is closed as the hub closes it: the line then says how
 * many entries the catalog holds and whether it reconciled with what the agent wrote.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import { type BackupOrderBody, OrderResult, type TapeTarget } from "../../contracts/agent-protocol.ts";
import { initLibrary, loadCartridge } from "../../drive-agent/drives/vtl/library.ts";
import { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { executeBackup } from "../../drive-agent/orders/backup.ts";
import type { OrderReporter } from "../../drive-agent/orders/types.ts";
import { labelTape } from "../../drive-agent/tape/label-tape.ts";
import { backupSets, catalogEntries, tapes } from "../../functions/db/schema/index.ts";
import { closeBackupSet } from "../../functions/services/orders/close-backup-set.ts";
import { ingestCatalogChunk } from "../../functions/services/orders/ingest-catalog-chunk.ts";
import { recordSegment } from "../../functions/services/orders/record-segment.ts";
import { backupOrder, executorContext } from "../../test/drive-agent/pipeline/helpers.ts";
import { createTestHub } from "../../test/helpers/hub.ts";
import { ingestTarget } from "../catalog/ingest-target.ts";

const [source = "", compression = "none", encrypt = "false", base = "/tmp", mode = "", writeBytes = ""] =
  process.argv.slice(2);
const hub = mode === "catalog" ? await createTestHub() : null;
const target = hub ? await ingestTarget(hub) : null;
const root = mkdtempSync(join(base, "vtl-"));
try {
  const dir = join(root, "lib");
  await initLibrary({ dir, drives: 1, slots: 1, capacityBytes: 200e9, earlyWarningBytes: 1e9 });
  await loadCartridge({ dir, slot: 1, drive: 0 });
  const drive = await VtlDrive.open({
    dir,
    index: 0,
    writeBytes: writeBytes ? Number(writeBytes) : undefined,
  });
  const uuid = randomUUID();
  await labelTape(drive, { label: "BENCH1", uuid, pool: "bench" });
  const tape: TapeTarget = { barcode: "TB0001L9", label: "BENCH1", uuid, nextFile: 1 };
  let entries = 0;
  const reporter: OrderReporter = {
    progress: async () => "continue",
    catalogChunk: async (chunk) => {
      entries += chunk.entries.length;
      if (hub && target) await ingestCatalogChunk(hub.ctx, target.order, chunk);
    },
    segment: async (segment) => {
      if (!hub || !target) return;
      const now = new Date();
      await hub.ctx.db
        .insert(tapes)
        .values({ barcode: segment.tapeBarcode, createdAt: now, updatedAt: now })
        .onConflictDoNothing();
      await recordSegment(hub.ctx, target.order, segment);
    },
    log: async () => undefined,
    fileResults: async () => undefined,
  };
  const encrypted = encrypt === "true";
  const order = backupOrder(tape, source, {
    job: { id: 1, name: "bench" },
    pool: { id: 1, name: "bench" },
    compression: compression as BackupOrderBody["compression"],
    encryption: encrypted
      ? { algorithm: "aes-256-gcm", keyFingerprint: "bench", dataKeyJwe: "x" }
      : { algorithm: "none", keyFingerprint: null, dataKeyJwe: null },
    drive: { devicePath: "vtl" },
  });
  if (target) order.set.uuid = target.uuid;
  const start = performance.now();
  const result = await executeBackup(
    order,
    executorContext(drive, reporter, join(root, "work"), { dataKey: encrypted ? randomBytes(32) : null }),
  );
  const seconds = (performance.now() - start) / 1000;
  await drive.close();
  let catalog: { entries: number; problem: string | null } | null = null;
  if (hub && target) {
    const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, target.uuid) });
    const closing = await closeBackupSet(
      hub.ctx,
      set?.runId as number,
      set?.id as number,
      OrderResult.parse(result),
    );
    const [row] = await hub.ctx.db.select({ n: count() }).from(catalogEntries);
    catalog = { entries: row?.n ?? 0, problem: closing.problem };
    await hub.close();
  }
  console.log(
    JSON.stringify({
      seconds,
      state: result.state,
      files: entries,
      tapeBytes: result.summary?.tapeBytes ?? 0,
      maxRssKb: process.resourceUsage().maxRSS,
      catalog,
    }),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
