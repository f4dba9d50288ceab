/**
 * Page latency with a big catalog: p50/p99 of the dashboard and of a catalog-browse page
 * (one directory of a set) over 1,000,000 catalog rows, on the Node hub over loopback.
 *
 *   npx tsx bench/pages/run.ts [--rows 1000000] [--duration 10]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import autocannon from "autocannon";
import { spawnProcess, TSX } from "../../test/helpers/process.ts";

const { values } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, duration: { type: "string", default: "10" } },
});
const ROWS = Number(values.rows);
const PASSWORD = "bench-admin-password";
const dir = mkdtempSync(join(tmpdir(), "tb-bench-pages-"));
const env = {
  PORT: "0",
  DATA_DIR: dir,
  TAPEBACKARR_ADMIN_PASSWORD: PASSWORD,
  TAPEBACKARR_LOCAL_AGENT: "false",
};

// First start migrates the catalog; then fill it with a million entries in one set (1,000 directories × 1,000 files).
let hub = spawnProcess(TSX, ["functions/node.ts"], env);
await hub.waitFor(/ready: open/);
await hub.stop();
const db = createClient({ url: `file:${join(dir, "tapebackarr.db")}` });
const now = Date.now();
await db.execute(`insert into jobs (name, created_at, updated_at) values ('Bench', ${now}, ${now})`);
await db.execute(
  `insert into backup_sets (uuid, job_id, backup_type, state, compression, encryption, block_size, started_at, created_at) values ('${crypto.randomUUID()}', 1, 'full', 'complete', 'zstd', 'none', 65536, ${now}, ${now})`,
);
const started = performance.now();
await db.execute(`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${ROWS - 1})
  insert into catalog_entries (set_id, dir, name, type, size, mode, uid, gid, mtime, sha256, offset, segment, end_segment, deleted)
  select 1, 'srv/share/d' || (i / 1000), 'file-' || (i % 1000) || '.dat', 'file', 4096, 420, 0, 0, 1700000000, null, i * 4608, 0, 0, 0 from n`);
console.log(`inserted ${ROWS} catalog rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
db.close();

hub = spawnProcess(TSX, ["functions/node.ts"], env);
try {
  const url = (await hub.waitFor(/ready: open (http:\/\/[\d.]+:\d+)/))[1] as string;
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}` };
  const measure = async (name: string, path: string) => {
    await autocannon({ url: `${url}${path}`, connections: 4, duration: 2, headers });
    const r = await autocannon({
      url: `${url}${path}`,
      connections: 4,
      duration: Number(values.duration),
      headers,
    });
    return {
      name,
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.non2xx,
    };
  };
  const rows = [
    await measure("dashboard GET /", "/"),
    await measure(
      "catalog browse GET /restore/sets/1?dir=srv/share/d500 (1,000 entries, first 200)",
      "/restore/sets/1?dir=srv/share/d500",
    ),
  ];
  console.log(`\n${ROWS} catalog rows, 4 connections, loopback, Node ${process.version}\n`);
  console.log("| page | req/s | p50 ms | p99 ms | errors |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of rows)
    console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
} finally {
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
}
