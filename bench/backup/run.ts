/**
 * Backup pipeline benchmark (not a test): the agent's executor writing into a vtl on local disk
 * against the bare tools on the same tree, writing the same sink (a file on the vtl's disk) and
 * /dev/null; interleaved repetitions, medians, CPU seconds per GB of each side; then the per-file
 * cost on a 1,000,000-file tree against tar's, and the agent's peak RSS with the flags it ships with.
 *
 *   npm run bench:backup [-- --reps 3] [--skip-rss] [--skip-files] [--only-catalog] [--only-files]
 *     [--only-rss]
 *     [--write-bytes N[,M…]]  vtl write sizes to compare (default: the vtl's default)
 *     [--prof DIR]            a CPU profile of each executor run (node --cpu-prof) into DIR
 *     [--against CHECKOUT]    also runs CHECKOUT's executor (e.g. /work/main) in each rep of the
 *                             throughput and per-file parts, interleaved: an A/B in the same run
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: "/tmp/tapebackarr-bench" },
    reps: { type: "string", default: "3" },
    shapes: { type: "string", default: "plain,zstd-aes" },
    "write-bytes": { type: "string", default: "" },
    prof: { type: "string" },
    against: { type: "string" },
    "skip-rss": { type: "boolean" },
    "skip-files": { type: "boolean" },
    /** Only the 1,000,000-file run into a real catalog (catalog count == tree count). */
    "only-catalog": { type: "boolean" },
    /** Only the per-file part: tar and the agent over the 1,000,000-file tree. */
    "only-files": { type: "boolean" },
    /** Only the peak-RSS runs over the 1,000,000-file tree (with --against: both checkouts). */
    "only-rss": { type: "boolean" },
  },
});
const base = values.dir as string;
const tree = join(base, "tree-1g");
const million = join(base, "tree-1m");
const reps = Number(values.reps);
const writeSizes = (values["write-bytes"] as string).split(",").filter(Boolean).map(Number);

const UNIT = readFileSync(join(import.meta.dirname, "../../deploy/tapebackarr-agent.service"), "utf8");

/** The V8 flags the agent's systemd unit runs it with: the RSS target is measured with them. */
const SHIPPED_FLAGS = (() => {
  const line = /^Environment="NODE_OPTIONS=([^"]*)"/m.exec(UNIT);
  return line?.[1] ? line[1].split(/\s+/).filter(Boolean) : [];
})();

/** The allocator settings the unit ships with (glibc's MALLOC_*), given to every executor run. */
const SHIPPED_ENV = Object.fromEntries(
  [...UNIT.matchAll(/^Environment=(MALLOC_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
);

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

/** CPU seconds (user + system) of this process's waited-for children, from /proc/self/stat. */
function childCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 (cutime, cstime) are at 13 and 14 after the command name; clock ticks of 10 ms.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

type Measured = { seconds: number; cpu: number };

function measured<T>(fn: () => T): Measured & { value: T } {
  const cpu = childCpuSeconds();
  const start = performance.now();
  const value = fn();
  return { seconds: (performance.now() - start) / 1000, cpu: childCpuSeconds() - cpu, value };
}

function tools(source: string, compress: boolean, output: string): Measured {
  const zstd = compress ? "| zstd -1 -T2 -q " : "";
  const run = measured(() =>
    execFileSync("bash", [
      "-o",
      "pipefail",
      "-c",
      `tar -cf - -b128 -C / ${source.slice(1)} ${zstd}| mbuffer -q -m 128M -s 65536 -o ${output}`,
    ]),
  );
  if (output !== "/dev/null") rmSync(output, { force: true });
  return run;
}

type ChildResult = {
  seconds: number;
  cpuSeconds: number;
  state: string;
  files: number;
  tapeBytes: number;
  maxRssKb: number;
  catalog: { entries: number; problem: string | null } | null;
  /** The run's log line on where its stream spent its time (absent on older checkouts). */
  stages?: string | null;
};

function ours(
  source: string,
  opts: {
    compression: string;
    encrypt: boolean;
    mode?: string;
    writeBytes?: number;
    flags?: string[];
    /** Another checkout whose executor runs instead of this one's (an A/B against it). */
    checkout?: string;
  },
): Measured & { value: ChildResult; startup: number } {
  const prof = values.prof ? ["--cpu-prof", "--cpu-prof-dir", values.prof as string] : [];
  const run = measured(() => {
    const out = spawnSync(
      process.execPath,
      [
        ...(opts.flags ?? SHIPPED_FLAGS),
        ...prof,
        "--import",
        "tsx",
        opts.checkout
          ? join(opts.checkout, "bench/backup/run-executor.ts")
          : join(import.meta.dirname, "run-executor.ts"),
        source,
        opts.compression,
        String(opts.encrypt),
        base,
        opts.mode ?? "",
        opts.writeBytes ? String(opts.writeBytes) : "",
      ],
      { encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, ...SHIPPED_ENV } },
    );
    if (out.status !== 0) throw new Error(out.stderr);
    return JSON.parse(out.stdout.trim().split("\n").at(-1) as string) as ChildResult;
  });
  // The executor's own time and CPU (its tar included), without the process's start-up under tsx
  // (2–4 s on this box), which a long-running agent pays once.
  return {
    seconds: run.value.seconds,
    cpu: run.value.cpuSeconds,
    value: run.value,
    startup: run.seconds - run.value.seconds,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const fmt = (n: number, digits = 2) => n.toFixed(digits);

type Side = { label: string; runs: Measured[] };
function report(title: string, bytes: number, sides: Side[], extra: string[] = []): void {
  const gb = bytes / 1e9;
  console.log(`\n${title} (median of ${reps}, load ${load()})`);
  for (const side of sides) {
    const s = median(side.runs.map((r) => r.seconds));
    const cpu = median(side.runs.map((r) => r.cpu));
    console.log(
      `  ${side.label.padEnd(44)} ${fmt(bytes / 1e6 / s, 0).padStart(5)} MB/s  ${fmt(s).padStart(6)} s  CPU ${fmt(cpu / gb).padStart(5)} s/GB  runs ${side.runs.map((r) => fmt(r.seconds)).join(" ")} s`,
    );
  }
  for (const line of extra) console.log(`  ${line}`);
}

function ratios(ourSide: Side, against: Side[]): string[] {
  const s = median(ourSide.runs.map((r) => r.seconds));
  const cpu = median(ourSide.runs.map((r) => r.cpu));
  return against.map((b) => {
    const bs = median(b.runs.map((r) => r.seconds));
    const bc = median(b.runs.map((r) => r.cpu));
    return `${ourSide.label} vs ${b.label}: speed ${fmt(bs / s)}×, CPU per GB ${fmt(cpu / bc)}×`;
  });
}

const onlyFiles = values["only-files"] === true;
const onlyRss = values["only-rss"] === true;
if (!values["only-catalog"] && !onlyFiles && !onlyRss) {
  generateTree();
  const bytes = Number(execFileSync("du", ["-sb", tree], { encoding: "utf8" }).split("\t")[0]);
  const files = Number(execFileSync("bash", ["-c", `find ${tree} -type f | wc -l`], { encoding: "utf8" }));
  console.log(
    `tree: ${(bytes / 1e9).toFixed(2)} GB, ${files} files; agent flags: ${SHIPPED_FLAGS.join(" ")} ${Object.entries(
      SHIPPED_ENV,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  );
  tools(tree, false, "/dev/null"); // warms the page cache
  const sinkFile = join(base, "baseline.out");
  for (const shape of (values.shapes as string).split(",")) {
    const compress = shape === "zstd-aes";
    const name = compress ? "zstd -1 + AES-256-GCM" : "plain";
    const toolName = compress ? "tar | zstd -1 -T2 | mbuffer" : "tar -b128 | mbuffer";
    const nul: Side = { label: `${toolName} -o /dev/null`, runs: [] };
    const file: Side = { label: `${toolName} -o file on the vtl's disk`, runs: [] };
    const sizes = writeSizes.length > 0 ? writeSizes : [0];
    const against = values.against as string | undefined;
    const runs = sizes.flatMap((w) => [
      { w, checkout: undefined, label: `agent → vtl${w ? ` (writes of ${w >> 10} KiB)` : ""}` },
      ...(against
        ? [{ w, checkout: against, label: `agent at ${against} → vtl${w ? ` (${w >> 10} KiB)` : ""}` }]
        : []),
    ]);
    const mine: Side[] = runs.map(({ label }) => ({ label, runs: [] }));
    const outputs: ChildResult[][] = runs.map(() => []);
    for (let rep = 0; rep < reps; rep++) {
      file.runs.push(tools(tree, compress, sinkFile));
      runs.forEach(({ w, checkout }, i) => {
        const r = ours(tree, {
          compression: compress ? "zstd" : "none",
          encrypt: compress,
          writeBytes: w,
          checkout,
        });
        (mine[i] as Side).runs.push(r);
        outputs[i]?.push(r.value);
      });
      nul.runs.push(tools(tree, compress, "/dev/null"));
    }
    const extra: string[] = [];
    mine.forEach((side, i) => {
      const outs = outputs[i] as ChildResult[];
      const s = median(side.runs.map((r) => r.seconds));
      const tape = median(outs.map((o) => o.tapeBytes));
      extra.push(
        ...ratios(side, [file, nul]),
        `${side.label}: ${outs[0]?.state}, ${outs[0]?.files} entries, ${fmt(tape / 1e6, 0)} MB on tape (${fmt(tape / 1e6 / s, 0)} MB/s reach the drive), peak RSS ${outs.map((o) => fmt(o.maxRssKb / 1024, 0)).join("/")} MB`,
      );
      // The median run's own account of its stages, and which one held its stream back.
      const gaps = side.runs.map((r) => Math.abs(r.seconds - s));
      const mid = outs[gaps.indexOf(Math.min(...gaps))];
      if (mid?.stages) extra.push(`${side.label}, median run: ${mid.stages}`);
    });
    if (mine.length > 1) {
      const [first, ...others] = mine;
      if (first) extra.push(...ratios(first, others));
    }
    report(`${name}, ${(bytes / 1e9).toFixed(2)} GB`, bytes, [file, ...mine, nul], extra);
  }
}

if (!values["skip-files"] || !values["skip-rss"]) {
  console.log("\ngenerating 1,000,000 files (once) ...");
  generateMillion();
}
if (!values["skip-files"] && !values["only-catalog"] && !onlyRss) {
  // Per-file cost: tar and the agent on a tree of mostly empty files, both into a file on one disk.
  const sinkFile = join(base, "baseline.out");
  const tar: Side = { label: "tar -b128 | mbuffer -o file", runs: [] };
  const agent: Side = { label: "agent → vtl (plain)", runs: [] };
  const checkout = values.against as string | undefined;
  const baseline: Side = { label: `${checkout} agent → vtl`, runs: [] };
  let out: ChildResult | null = null;
  let baseOut: ChildResult | null = null;
  for (let rep = 0; rep < reps; rep++) {
    tar.runs.push(tools(million, false, sinkFile));
    const mine = () => {
      const r = ours(million, { compression: "none", encrypt: false });
      agent.runs.push(r);
      out = r.value;
    };
    const theirs = () => {
      const r = ours(million, { compression: "none", encrypt: false, checkout });
      baseline.runs.push(r);
      baseOut = r.value;
    };
    // Interleaved, each side first every other repetition (the dentry cache, the load).
    const order = !checkout ? [mine] : rep % 2 === 0 ? [mine, theirs] : [theirs, mine];
    for (const run of order) run();
  }
  const entries = (out as ChildResult | null)?.files ?? 1;
  const per = (side: Side) => (median(side.runs.map((r) => r.seconds)) / entries) * 1e6;
  const cpuPer = (side: Side) => (median(side.runs.map((r) => r.cpu)) / entries) * 1e6;
  const rss = (o: ChildResult | null) => fmt((o?.maxRssKb ?? 0) / 1024, 0);
  console.log(
    `\nper-file cost, ${entries.toLocaleString("en-US")} entries (median of ${reps}, load ${load()})`,
  );
  const sides = checkout ? [tar, agent, baseline] : [tar, agent];
  for (const side of sides)
    console.log(
      `  ${side.label.padEnd(30)} ${fmt(per(side), 1).padStart(6)} µs/file  CPU ${fmt(cpuPer(side), 1)} µs/file  runs ${side.runs.map((r) => `${fmt(r.seconds)} s/${fmt(r.cpu)} CPU s`).join(", ")}`,
    );
  console.log(
    `  agent / tar: ${fmt(per(agent) / per(tar))}× time, ${fmt(cpuPer(agent) / cpuPer(tar))}× CPU; peak RSS ${rss(out)} MB`,
  );
  if (checkout)
    console.log(
      `  ${checkout} / tar: ${fmt(per(baseline) / per(tar))}× time, ${fmt(cpuPer(baseline) / cpuPer(tar))}× CPU; peak RSS ${rss(baseOut)} MB; agent / ${checkout}: ${fmt(per(agent) / per(baseline))}× time, ${fmt(cpuPer(agent) / cpuPer(baseline))}× CPU`,
    );
}
if (!values["skip-rss"] && !values["only-catalog"] && !onlyFiles) {
  // The RSS target is for the flags the agent ships with (each rep, and the other checkout's
  // executor interleaved with --against); the default heap is shown beside it, once.
  const checkout = values.against as string | undefined;
  const shipped = { mine: [] as ReturnType<typeof ours>[], theirs: [] as ReturnType<typeof ours>[] };
  const once = (flags: string[], co?: string) =>
    ours(million, { compression: "zstd", encrypt: false, flags, checkout: co });
  for (let rep = 0; rep < reps; rep++) {
    const order = !checkout ? ["mine"] : rep % 2 === 0 ? ["mine", "theirs"] : ["theirs", "mine"];
    for (const side of order)
      shipped[side as "mine" | "theirs"].push(once(SHIPPED_FLAGS, side === "theirs" ? checkout : undefined));
  }
  const peaks = (runs: ReturnType<typeof ours>[]) =>
    runs.map((r) => fmt(r.value.maxRssKb / 1024, 0)).join("/");
  const secs = (runs: ReturnType<typeof ours>[]) => fmt(median(runs.map((r) => r.seconds)), 1);
  console.log(
    `1M files (zstd, ${SHIPPED_FLAGS.join(" ")}, median of ${reps}, load ${load()}): ${secs(shipped.mine)} s, ${shipped.mine[0]?.value.files} entries, peak RSS of the agent's process ${peaks(shipped.mine)} MB`,
  );
  if (checkout) console.log(`  ${checkout}: ${secs(shipped.theirs)} s, peak RSS ${peaks(shipped.theirs)} MB`);
  const free = once([]);
  console.log(
    `1M files (zstd, default V8 heap): ${free.seconds.toFixed(1)} s, ${free.value.files} entries, peak RSS of the agent's process ${(free.value.maxRssKb / 1024).toFixed(0)} MB`,
  );
}
if (!values["skip-rss"] && !onlyFiles && !onlyRss) {
  // The same run into a real catalog through the hub's ingest: every tree entry must be there.
  const inTree = Number(execFileSync("bash", ["-c", `find ${million} | wc -l`], { encoding: "utf8" }));
  const r = ours(million, { compression: "zstd", encrypt: false, mode: "catalog" }).value;
  const held = r.catalog?.entries ?? 0;
  console.log(
    `1M files into a real catalog: ${r.seconds.toFixed(1)} s (walk, tar, zstd, vtl and ingest), ${r.state}; catalog holds ${held.toLocaleString("en-US")} of ${inTree.toLocaleString("en-US")} tree entries; reconciled: ${r.catalog?.problem ?? "yes"}`,
  );
  if (held !== inTree || r.catalog?.problem) {
    console.error("the catalog does not hold the whole tree");
    process.exitCode = 1;
  }
}
