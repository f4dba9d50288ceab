/**
 * Backup pipeline benchmark (not a test): our executor writing to a vtl on local disk against the
 * bare tools on the same tree, plus the executor's peak RSS on a 1,000,000-file tree.
 *
 *   npx tsx bench/backup/run.ts [--dir /tmp/tapebackarr-bench] [--skip-rss] [--only-catalog]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: "/tmp/tapebackarr-bench" },
    "skip-rss": { type: "boolean" },
    /** Only the 1,000,000-file run into a real catalog (catalog count == tree count). */
    "only-catalog": { type: "boolean" },
  },
});
const base = values.dir as string;
const tree = join(base, "tree-1g");
const million = join(base, "tree-1m");

function generateTree(): void {
  if (existsSync(join(tree, ".done"))) return;
  rmSync(tree, { recursive: true, force: true });
  // Half incompressible, half text-like, so zstd works as it would on a file share.
  const pool = Buffer.concat([
    randomBytes(32 << 20),
    Buffer.from('log line 2026-11-26 host=tape01 level=info msg="backup running" n=00000\n'.repeat(450_000)),
  ]);
  let offset = 0;
  for (let d = 0; d < 200; d++) {
    mkdirSync(join(tree, `dir-${d}`), { recursive: true });
    for (let f = 0; f < 110; f++) {
      const size = f === 0 ? 4 << 20 : Math.floor(((f * 7919 + d * 104729) % 90_000) + 100);
      if (offset + size > pool.length) offset = 0;
      writeFileSync(join(tree, `dir-${d}`, `file-${f}.dat`), pool.subarray(offset, offset + size));
      offset += size + 4096;
    }
  }
  writeFileSync(join(tree, ".done"), "");
}

function generateMillion(): void {
  if (existsSync(join(million, ".done"))) return;
  rmSync(million, { recursive: true, force: true });
  for (let d = 0; d < 1000; d++) {
    const dir = join(million, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 1000; f++) writeFileSync(join(dir, `f${f}`), f % 10 === 0 ? "x" : "");
  }
  writeFileSync(join(million, ".done"), "");
}

function seconds(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

function baseline(compress: boolean, output = "/dev/null"): number {
  const zstd = compress ? "| zstd -1 -q " : "";
  return seconds(() =>
    execFileSync("bash", [
      "-o",
      "pipefail",
      "-c",
      `tar -cf - -b128 -C / ${tree.slice(1)} ${zstd}| mbuffer -q -m 128M -s 65536 -o ${output}`,
    ]),
  );
}

type ChildResult = {
  seconds: number;
  state: string;
  files: number;
  tapeBytes: number;
  maxRssKb: number;
  catalog: { entries: number; problem: string | null } | null;
};

function ours(
  source: string,
  compression: string,
  encrypt: boolean,
  nodeFlags: string[] = [],
  mode = "",
): ChildResult {
  const out = spawnSync(
    process.execPath,
    [
      ...nodeFlags,
      "--import",
      "tsx",
      join(import.meta.dirname, "run-executor.ts"),
      source,
      compression,
      String(encrypt),
      base,
      mode,
    ],
    { encoding: "utf8", maxBuffer: 16 << 20 },
  );
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout.trim().split("\n").at(-1) as string);
}

if (!values["only-catalog"]) {
  generateTree();
  const bytes = Number(execFileSync("du", ["-sb", tree], { encoding: "utf8" }).split("\t")[0]);
  const files = Number(execFileSync("bash", ["-c", `find ${tree} -type f | wc -l`], { encoding: "utf8" }));
  console.log(`tree: ${(bytes / 1e9).toFixed(2)} GB, ${files} files (warming the page cache)`);
  baseline(false);

  const rows: string[] = [];
  const mbps = (s: number) => bytes / 1e6 / s;
  for (const [name, compress, compression, encrypt] of [
    ["plain", false, "none", false],
    ["zstd + AES-256-GCM", true, "zstd", true],
  ] as const) {
    const b = Math.min(baseline(compress), baseline(compress));
    // The same tools writing a file on the disk the vtl uses: what the disk allows.
    const disk = baseline(compress, join(base, "baseline.out"));
    rmSync(join(base, "baseline.out"), { force: true });
    console.log(
      `${name}: bare tools into a file on the vtl's disk ${mbps(disk).toFixed(0)} MB/s (${disk.toFixed(2)} s)`,
    );
    const runs = [ours(tree, compression, encrypt), ours(tree, compression, encrypt)];
    const o = runs.reduce((x, y) => (x.seconds < y.seconds ? x : y));
    const line = `${name}: bare tools ${mbps(b).toFixed(0)} MB/s (${b.toFixed(2)} s), pipeline ${mbps(o.seconds).toFixed(0)} MB/s (${o.seconds.toFixed(2)} s, ${o.state}, ${o.files} entries, ${(o.tapeBytes / 1e6).toFixed(0)} MB on tape, peak RSS ${(o.maxRssKb / 1024).toFixed(0)} MB) → ${(b / o.seconds).toFixed(2)}×`;
    console.log(line);
    rows.push(line);
  }
}

if (!values["skip-rss"]) {
  console.log("generating 1,000,000 files (once) ...");
  generateMillion();
}
if (!values["skip-rss"] && !values["only-catalog"]) {
  // V8 grows its heap lazily up to ~2 GB; a cap shows the live set (the agent should run with one),
  // and a small young generation (16 MiB semi-spaces by default) trims another ~35 MB.
  for (const flags of [
    [],
    ["--max-old-space-size=128"],
    ["--max-old-space-size=128", "--max-semi-space-size=4"],
  ]) {
    const r = ours(million, "zstd", false, flags);
    console.log(
      `1M files (zstd${flags.length ? `, ${flags.join(" ")}` : ""}): ${r.seconds.toFixed(1)} s, ${r.files} entries, peak RSS of the pipeline process ${(r.maxRssKb / 1024).toFixed(0)} MB`,
    );
  }
}
if (!values["skip-rss"]) {
  // The same run into a real catalog through the hub's ingest: every tree entry must be there.
  const inTree = Number(execFileSync("bash", ["-c", `find ${million} | wc -l`], { encoding: "utf8" }));
  const r = ours(million, "zstd", false, [], "catalog");
  const held = r.catalog?.entries ?? 0;
  console.log(
    `1M files into a real catalog: ${r.seconds.toFixed(1)} s (walk, tar, zstd, vtl and ingest), ${r.state}; catalog holds ${held.toLocaleString("en-US")} of ${inTree.toLocaleString("en-US")} tree entries; reconciled: ${r.catalog?.problem ?? "yes"}`,
  );
  if (held !== inTree || r.catalog?.problem) {
    console.error("the catalog does not hold the whole tree");
    process.exitCode = 1;
  }
}
