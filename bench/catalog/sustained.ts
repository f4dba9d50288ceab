/**
 * Sustained catalog ingest (not a test): `--entries` (default 10,000,000) entries of one set, in
 * chunks of MAX_CATALOG_CHUNK_ENTRIES, through the hub's ingest service into one embedded catalog
 * file, as a backup's agent posts them. Prints, per round (`--round` entries, at most a million),
 * the ingest rate and the event-loop delay (perf_hooks.monitorEventLoopDelay) while it ran, then
 * the totals and the set's close (reconciliation). Target: ≥ 200,000 entries/s at every million,
 * delay p99 < 20 ms.
 *
 * Both sides in one run, interleaved a round at a time, each into its own catalog (docs/adr/0029):
 * `inline`, the chunk's batch on the event loop's thread (as D1 and remote libSQL run it), and
 * `thread`, the embedded catalog's write thread (the Node hub's path).
 *
 *   npx tsx bench/catalog/sustained.ts --entries 2000000
 *   npx tsx bench/catalog/sustained.ts --entries 1000000 --sides thread   # one side only
 *   npx tsx bench/catalog/sustained.ts --keep /tmp/ingest.db   # keep the (last side's) catalog file
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
import { createTestHub, type TestHub } from "../../test/helpers/hub.ts";
import { ingestTarget } from "./ingest-target.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "10000000" },
    keep: { type: "string" },
    /** Statements run on the fresh catalog first, to measure a variant (e.g. "drop index x"). */
    sql: { type: "string", multiple: true },
    sides: { type: "string", default: "inline,thread" },
    /** Entries a side ingests before the other side's turn. */
    round: { type: "string", default: "200000" },
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
const num = (n: number) => Math.round(n).toLocaleString("en-US");
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

type SideName = "inline" | "thread";
interface Side {
  name: SideName;
  hub: TestHub;
  order: Awaited<ReturnType<typeof ingestTarget>>["order"];
  uuid: string;
  seq: number;
  /** Wall ms and CPU s (every thread of the process) spent in this side's rounds. */
  totalMs: number;
  totalCpu: number;
  /** Each round's loop-delay p99 in ms. */
  p99s: number[];
  rows: string[];
}

/** Entries a side ingests before the other's turn: a round is also what a row reports. */
const ROUND = Math.min(Number(values.round), 1_000_000);
const names = (values.sides ?? "").split(",").filter(Boolean) as SideName[];
const sides: Side[] = [];
try {
  for (const name of names) {
    const hub = await createTestHub({}, name === "inline" ? { writeThread: false } : {});
    for (const statement of values.sql ?? []) await hub.catalog.client.execute(statement);
    const { order, uuid } = await ingestTarget(hub);
    sides.push({ name, hub, order, uuid, seq: 0, totalMs: 0, totalCpu: 0, p99s: [], rows: [] });
  }
  console.log(
    `ingesting ${num(TOTAL)} entries per side (${names.join(", ")}) in chunks of ${N}, rounds of ${num(ROUND)} (load ${load()})`,
  );
  while (sides.some((side) => side.seq * N < TOTAL)) {
    for (const side of sides) {
      if (side.seq * N >= TOTAL) continue;
      // A fresh histogram per round: one enabled again counts the pause since its disable.
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const from = side.seq * N;
      const roundEnd = Math.min(TOTAL, from + ROUND);
      let roundMs = 0;
      let roundCpu = 0;
      while (side.seq * N < roundEnd) {
        const body = chunk(side.uuid, side.seq);
        // The next chunk is made in its own turn of the loop, as a request body would be parsed.
        await new Promise((r) => setImmediate(r));
        const t = performance.now();
        const cpu = cpuSeconds();
        await ingestCatalogChunk(side.hub.ctx, side.order, body);
        roundMs += performance.now() - t;
        roundCpu += cpuSeconds() - cpu;
        side.seq++;
      }
      delay.disable();
      side.totalMs += roundMs;
      side.totalCpu += roundCpu;
      side.p99s.push(delay.percentile(99) / 1e6);
      const span = roundEnd - from;
      side.rows.push(
        `| ${side.name} | ${num(from)}–${num(roundEnd)} | ${num(span / (roundMs / 1000))} | ${num(span / roundCpu)} | ${ms(delay.percentile(50))} | ${ms(delay.percentile(99))} | ${ms(delay.max)} | ${load()} |`,
      );
      console.log(side.rows[side.rows.length - 1]);
    }
  }
  console.log(
    "\n| side | entries | entries/s (wall) | entries per CPU s | loop delay p50 ms | p99 ms | max ms | load |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const side of sides) for (const row of side.rows) console.log(row);
  console.log("");
  for (const side of sides) {
    console.log(
      `${side.name}: ${num(TOTAL)} entries in ${(side.totalMs / 1000).toFixed(1)} s of its rounds: ${num(TOTAL / (side.totalMs / 1000))} entries/s, ${num(TOTAL / side.totalCpu)} per CPU s; loop delay p99 of its worst round ${Math.max(...side.p99s).toFixed(1)} ms`,
    );
  }
  const [a, b] = sides;
  if (a && b)
    console.log(
      `ratio ${b.name} / ${a.name}: entries/s ${(a.totalMs / b.totalMs).toFixed(2)}×, per CPU s ${(a.totalCpu / b.totalCpu).toFixed(2)}×, worst round's loop p99 ${(Math.max(...b.p99s) / Math.max(...a.p99s)).toFixed(3)}×`,
    );
  for (const side of sides) {
    const t = performance.now();
    const set = await side.hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, side.uuid) });
    const held = await tallyHeldCatalog(side.hub.ctx, set?.id as number);
    const size = statSync(join(side.hub.dir, "catalog.db")).size;
    console.log(
      `${side.name}: reconciling the set (count + digest from its rows, as closing it does): ${((performance.now() - t) / 1000).toFixed(1)} s, ${num([...held.values()].reduce((s, d) => s + d.entries, 0))} entries; catalog file ${(size / 1e6).toFixed(0)} MB (load ${load()})`,
    );
  }
  const last = sides[sides.length - 1];
  if (values.keep && last) {
    await last.hub.catalog.client.execute("pragma wal_checkpoint(truncate)");
    copyFileSync(join(last.hub.dir, "catalog.db"), values.keep);
    console.log(`kept ${last.name}'s catalog in ${values.keep}`);
  }
} finally {
  for (const side of sides) await side.hub.close();
}
