/**
 * Sustained catalog ingest (not a test): `--entries` (default 10,000,000) entries of one set, in
 * chunks of MAX_CATALOG_CHUNK_ENTRIES, through the hub's ingest service into one embedded catalog
 * file, as a backup's agent posts them. Prints, per million entries, the ingest rate and the
 * event-loop delay (perf_hooks.monitorEventLoopDelay) while it ran, then the totals and the set's
 * close (reconciliation). Target: ≥ 200,000 entries/s at every million, delay p99 < 20 ms.
 *
 *   npx tsx bench/catalog/sustained.ts --entries 2000000
 *   npx tsx bench/catalog/sustained.ts --keep /tmp/ingest.db   # keep the catalog file
 *
 * Names look like a file share's: five path components, 25 files per directory, names drawn from
 * ~593,000 distinct ones (6 % of 10M, as bench/catalog-search's catalogs), 30 extensions, sha256s.
 */
import { copyFileSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { MAX_CATALOG_CHUNK_ENTRIES } from "../../contracts/agent-protocol.ts";
import { backupSets } from "../../functions/db/schema/index.ts";
import { ingestCatalogChunk } from "../../functions/services/orders/ingest-catalog-chunk.ts";
import { tallyHeldCatalog } from "../../functions/services/orders/reconcile-catalog.ts";
import { createTestHub } from "../../test/helpers/hub.ts";
import { ingestTarget } from "./ingest-target.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "10000000" },
    keep: { type: "string" },
    /** Statements run on the fresh catalog first, to measure a variant (e.g. "drop index x"). */
    sql: { type: "string", multiple: true },
  },
});
const TOTAL = Number(values.entries);
const N = MAX_CATALOG_CHUNK_ENTRIES;

const SYLLABLES = "ba ce di fo gu ha je ki lo mu na pe ri so tu va we xi yo zu".split(" ");
const WORDS = Array.from(
  { length: 400 },
  (_, i) =>
    `${SYLLABLES[i % 20]}${SYLLABLES[Math.floor(i / 20) % 20]}${i % 3 ? "" : SYLLABLES[(i * 7) % 20]}`,
);
const EXTS =
  ".pdf .docx .xlsx .pptx .txt .csv .jpg .jpeg .png .gif .tiff .mp4 .mov .mp3 .wav .zip .tar.gz .iso .json .xml .yaml .log .sql .bak .eml .msg .odt .ods .html .md".split(
    " ",
  );
const word = (i: number) => WORDS[i % 400] as string;
function nameOf(k: number): string {
  const rest = Math.floor(k / 400);
  const variant = Math.floor(rest / 30);
  const middle = variant === 0 ? "" : variant <= 40 ? `_${1989 + variant}` : `-${word(variant * 37)}`;
  return `${word(k)}${middle}${EXTS[rest % 30]}`;
}
const SHA = "0123456789abcdef".repeat(4);

function chunk(uuid: string, seq: number) {
  return {
    setUuid: uuid,
    seq,
    entries: Array.from({ length: N }, (_, i) => {
      const x = seq * N + i;
      const h = (x * 2654435761) % 4294967296;
      const d = Math.floor(x / 25);
      return [
        `srv/share/${word(d >> 16)}/${word(d >> 8)}/${word(d)}/${nameOf(h % 593_000)}`,
        "file",
        h % 5_000_000,
        0o644,
        1000,
        1000,
        1_700_000_000 - (h % 100_000_000),
        null,
        `${SHA.slice(0, 56)}${(h >>> 0).toString(16).padStart(8, "0")}`,
        x * 8192,
        0,
        0,
        false,
      ];
    }),
  };
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const ms = (ns: number) => (ns / 1e6).toFixed(1);

const hub = await createTestHub();
try {
  for (const statement of values.sql ?? []) await hub.catalog.client.execute(statement);
  const { order, uuid } = await ingestTarget(hub);
  console.log(`ingesting ${TOTAL.toLocaleString("en-US")} entries in chunks of ${N} (load ${load()})`);
  console.log("| entries | entries/s (this million) | loop delay p50 ms | p99 ms | max ms | load |");
  console.log("| ---: | ---: | ---: | ---: | ---: | --- |");
  const all = monitorEventLoopDelay({ resolution: 1 });
  let part = monitorEventLoopDelay({ resolution: 1 });
  all.enable();
  part.enable();
  const started = performance.now();
  let mark = started;
  let ingestMs = 0;
  for (let seq = 0; seq * N < TOTAL; seq++) {
    const body = chunk(uuid, seq);
    // The next chunk is made in its own turn of the loop, as a request body would be parsed.
    await new Promise((r) => setImmediate(r));
    const t = performance.now();
    await ingestCatalogChunk(hub.ctx, order, body);
    ingestMs += performance.now() - t;
    const done = (seq + 1) * N;
    if (done % 1_000_000 === 0 || done >= TOTAL) {
      const now = performance.now();
      const span = done % 1_000_000 === 0 ? 1_000_000 : done % 1_000_000;
      console.log(
        `| ${done.toLocaleString("en-US")} | ${Math.round(span / ((now - mark) / 1000)).toLocaleString("en-US")} | ${ms(part.percentile(50))} | ${ms(part.percentile(99))} | ${ms(part.max)} | ${load()} |`,
      );
      part.disable();
      part = monitorEventLoopDelay({ resolution: 1 });
      part.enable();
      mark = now;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  all.disable();
  console.log(
    `\n${TOTAL.toLocaleString("en-US")} entries in ${seconds.toFixed(1)} s: ${Math.round(TOTAL / seconds).toLocaleString("en-US")} entries/s wall (${Math.round(TOTAL / (ingestMs / 1000)).toLocaleString("en-US")}/s inside ingestCatalogChunk); loop delay p50 ${ms(all.percentile(50))} ms, p99 ${ms(all.percentile(99))} ms, max ${ms(all.max)} ms`,
  );
  const t = performance.now();
  const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, uuid) });
  const held = await tallyHeldCatalog(hub.ctx, set?.id as number);
  console.log(
    `reconciling the set (count + digest from its rows, as closing it does): ${((performance.now() - t) / 1000).toFixed(1)} s, ${[...held.values()].reduce((s, d) => s + d.entries, 0).toLocaleString("en-US")} entries`,
  );
  const size = statSync(join(hub.dir, "catalog.db")).size;
  console.log(`catalog file ${(size / 1e6).toFixed(0)} MB (load ${load()})`);
  if (values.keep) {
    await hub.catalog.client.execute("pragma wal_checkpoint(truncate)");
    copyFileSync(join(hub.dir, "catalog.db"), values.keep);
    console.log(`kept in ${values.keep}`);
  }
} finally {
  await hub.close();
}
