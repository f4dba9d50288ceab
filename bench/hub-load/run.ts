/**
 * The hub under load (issue 14, target 5), as one run: a real Node hub process with 100 enrolled
 * agents long-polling, pages and API lists being read (and a sign-in every 2 s, bcrypt at the
 * shipped cost), and one backup's catalog ingest at full rate (chunks of 5,000 entries posted as
 * its agent posts them), all at once. Orders are queued through the API (an eject of the tape in
 * a random idle agent's drive); the agent acks, reports it done and heartbeats its tape back in.
 *
 *   npm run bench:hub-load                              # this tree only
 *   npm run bench:hub-load -- --before 1a1a698          # and the same load on that commit, with ratios
 *   npm run bench:hub-load -- --duration 30 --agents 100 --orders-per-second 10 --readers 4
 *   npm run bench:hub-load -- --before 1a1a698 --idle   # only 100 long polls: the hub's CPU for waiting
 *   npm run bench:hub-load -- --prof /tmp/prof && npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile
 *
 * Poll answer = from sending the eject request (the order is queued inside it) to the agent's
 * poll answering with it. Page = one GET of the dashboard, /agents, /tapes, or a JSON list.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { MAX_CATALOG_CHUNK_ENTRIES } from "../../contracts/agent-protocol.ts";
import { spawnProcess, TSX } from "../../test/helpers/process.ts";
import { api, type BenchAgent, enrollAgent } from "./fleet.ts";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    duration: { type: "string", default: "30" },
    agents: { type: "string", default: "100" },
    "orders-per-second": { type: "string", default: "10" },
    readers: { type: "string", default: "4" },
    "no-ingest": { type: "boolean", default: false },
    /** Only the agents' long polls (and their heartbeats): what the waiting itself costs the hub. */
    idle: { type: "boolean", default: false },
    /** A directory for a CPU profile of each hub process (summarise with bench/profile-summary.ts). */
    prof: { type: "string" },
  },
});
const DURATION_MS = Number(values.duration) * 1000;
const AGENTS = Number(values.agents);
const ORDER_GAP_MS = 1000 / Number(values["orders-per-second"]);
const READERS = Number(values.readers);
const ROOT = resolve(import.meta.dirname, "../..");
const PASSWORD = "bench-admin-password";
const PAGES = ["/", "/agents", "/tapes", "/api/v1/agents", "/api/v1/tapes?limit=50", "/api/v1/runs?limit=50"];

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number);
};

/** CPU seconds (user + system) of a process and its descendants, from /proc (100 ticks/s). */
function treeCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const own = (Number(fields[11]) + Number(fields[12])) / 100;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return own + children.reduce((sum, child) => sum + treeCpuSeconds(Number(child)), 0);
  } catch {
    return 0;
  }
}

interface Figures {
  label: string;
  polls: number[];
  pages: number[];
  logins: number[];
  ingested: number;
  ingestSeconds: number;
  errors: string[];
  load: string;
  /** CPU seconds the hub used during the measured window. */
  hubCpu: number;
}

/** The tree of `ref` in a temp dir (git archive), sharing this tree's node_modules. */
function checkout(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tb-hub-load-before-"));
  execFileSync("sh", ["-c", `git archive ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`], {
    cwd: ROOT,
  });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** A job, its run, the set being written and its acknowledged order: what the chunks land on. */
async function ingestTarget(dbFile: string, agentId: string) {
  const db = createClient({ url: `file:${dbFile}` });
  try {
    const now = Date.now();
    await db.execute("pragma busy_timeout = 10000");
    const job = await db.execute({
      sql: "insert into jobs (name, created_at, updated_at) values ('hub-load', ?, ?) returning id",
      args: [now, now],
    });
    const run = await db.execute({
      sql: "insert into job_runs (job_id, kind, triggered_by, queued_at) values (?, 'backup', 'bench', ?) returning id",
      args: [job.rows[0]?.id ?? null, now],
    });
    const setUuid = crypto.randomUUID();
    await db.execute({
      sql: "insert into backup_sets (uuid, run_id, backup_type, compression, encryption, block_size, started_at, created_at) values (?, ?, 'full', 'none', 'none', 65536, ?, ?)",
      args: [setUuid, run.rows[0]?.id ?? null, now, now],
    });
    const orderId = crypto.randomUUID();
    await db.execute({
      sql: "insert into work_orders (id, agent_id, run_id, kind, state, payload, created_at, expires_at) values (?, ?, ?, 'backup', 'acknowledged', '{}', ?, ?)",
      args: [orderId, agentId, run.rows[0]?.id ?? null, now, now + 3_600_000],
    });
    return { orderId, setUuid };
  } finally {
    db.close();
  }
}

function chunkOf(setUuid: string, seq: number): string {
  const entries = Array.from({ length: MAX_CATALOG_CHUNK_ENTRIES }, (_, i) => {
    const x = seq * MAX_CATALOG_CHUNK_ENTRIES + i;
    const h = (x * 2654435761) % 4294967296;
    return [
      `srv/share/d${x >> 12}/s${(x >> 5) & 127}/f-${h.toString(36)}.dat`,
      "file",
      h % 5_000_000,
      0o644,
      1000,
      1000,
      1_700_000_000,
      null,
      h.toString(16).padStart(64, "0"),
      x * 8192,
      0,
      0,
      false,
    ];
  });
  return JSON.stringify({ setUuid, seq, entries });
}

async function measure(label: string, tree: string): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), "tb-hub-load-"));
  // The tree's own tsconfig (its JSX factory): tsx would otherwise read this tree's from the cwd.
  const hub = spawnProcess(
    TSX,
    ["--tsconfig", join(tree, "tsconfig.json"), join(tree, "functions/node.ts")],
    {
      PORT: "0",
      DATA_DIR: dir,
      TAPEBACKARR_ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: "info",
      ...(values.prof ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values.prof}` } : {}),
    },
  );
  const figures: Figures = {
    label,
    polls: [],
    pages: [],
    logins: [],
    ingested: 0,
    ingestSeconds: 0,
    errors: [],
    load: "",
    hubCpu: 0,
  };
  const stop = new AbortController();
  try {
    const url = (await hub.waitFor(/ready: open (http:\/\/[\d.]+:\d+)/, 60_000))[1] as string;
    const signIn = async () => {
      const res = await fetch(`${url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "admin", password: PASSWORD }),
      });
      if (!res.ok) throw new Error(`sign-in: ${res.status}`);
      return ((await res.json()) as { token: string }).token;
    };
    const admin = await signIn();
    const agents: BenchAgent[] = [];
    for (let i = 0; i < AGENTS; i++)
      agents.push(await enrollAgent(url, admin, `load-${i}`, `H${String(i).padStart(5, "0")}L9`));
    for (const a of agents) await a.heartbeat(); // the tape enrolment reported is now in its drive
    const ingestAgent = await enrollAgent(url, admin, "ingest", "I00000L9");
    const tapes = await api<{ items: { id: number; barcode: string }[] }>(
      url,
      admin,
      "GET",
      "/tapes?limit=500",
    );
    const tapeOf = new Map(tapes.items.map((t) => [t.barcode, t.id]));
    const target = await ingestTarget(join(dir, "tapebackarr.db"), ingestAgent.id);
    console.error(`${label}: ${AGENTS} agents enrolled; load for ${DURATION_MS / 1000} s (load ${load()})`);

    // Every agent long-polls; an order's send time is kept by agent so its answer can be timed.
    const sentAt = new Map<string, number>();
    const idle = new Set(agents.map((a) => a.id));
    const pollLoop = async (a: BenchAgent) => {
      while (!stop.signal.aborted) {
        let res: Response;
        try {
          res = await a.call("GET", "/orders/next?wait=25", undefined, stop.signal);
        } catch (error) {
          if (!stop.signal.aborted) figures.errors.push(`poll: ${(error as Error).message}`);
          return;
        }
        if (res.status === 204) {
          await res.arrayBuffer();
          continue;
        }
        const answered = performance.now();
        const { order } = (await res.json()) as { order: string };
        const t0 = sentAt.get(a.id);
        if (t0 !== undefined) figures.polls.push(answered - t0);
        sentAt.delete(a.id);
        const orderId = JSON.parse(Buffer.from(order.split(".")[1] as string, "base64url").toString()).jti;
        await a.call("POST", `/orders/${orderId}/ack`);
        await a.call("POST", `/orders/${orderId}/result`, { state: "completed" });
        await a.heartbeat();
        idle.add(a.id);
      }
    };
    const orderLoop = async () => {
      while (!stop.signal.aborted) {
        const free = [...idle];
        const a = agents.find((x) => x.id === free[Math.floor(Math.random() * free.length)]);
        if (a) {
          idle.delete(a.id);
          sentAt.set(a.id, performance.now());
          const res = await fetch(`${url}/api/v1/tapes/${tapeOf.get(a.barcode)}/eject`, {
            method: "POST",
            headers: { authorization: `Bearer ${admin}` },
          });
          if (res.status !== 202) {
            figures.errors.push(`eject: ${res.status} ${(await res.text()).slice(0, 200)}`);
            sentAt.delete(a.id);
            idle.add(a.id);
          } else await res.arrayBuffer();
        }
        await new Promise((r) => setTimeout(r, ORDER_GAP_MS));
      }
    };
    const readLoop = async (n: number) => {
      for (let i = n; !stop.signal.aborted; i++) {
        const t = performance.now();
        const res = await fetch(`${url}${PAGES[i % PAGES.length]}`, {
          headers: { authorization: `Bearer ${admin}` },
        });
        await res.arrayBuffer();
        if (res.ok) figures.pages.push(performance.now() - t);
        else figures.errors.push(`page ${PAGES[i % PAGES.length]}: ${res.status}`);
      }
    };
    const loginLoop = async () => {
      while (!stop.signal.aborted) {
        const t = performance.now();
        await signIn();
        figures.logins.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    const ingestLoop = async () => {
      const started = performance.now();
      for (let seq = 0; !stop.signal.aborted && !values["no-ingest"]; seq++) {
        const res = await ingestAgent.call(
          "POST",
          `/orders/${target.orderId}/catalog`,
          JSON.parse(chunkOf(target.setUuid, seq)),
        );
        if (!res.ok) {
          figures.errors.push(`catalog: ${res.status} ${(await res.text()).slice(0, 200)}`);
          break;
        }
        await res.arrayBuffer();
        figures.ingested += MAX_CATALOG_CHUNK_ENTRIES;
      }
      figures.ingestSeconds = (performance.now() - started) / 1000;
    };
    const heartbeats = setInterval(() => {
      for (const a of agents) if (idle.has(a.id)) void a.heartbeat().catch(() => {});
    }, 30_000); // as agents do (TAPEBACKARR_AGENT_HEARTBEAT_MS)
    const loops = [
      ...agents.map(pollLoop),
      ...(values.idle
        ? []
        : [
            orderLoop(),
            ...Array.from({ length: READERS }, (_, n) => readLoop(n)),
            loginLoop(),
            ingestLoop(),
          ]),
    ];
    const cpuBefore = treeCpuSeconds(hub.child.pid as number);
    await new Promise((r) => setTimeout(r, DURATION_MS));
    figures.hubCpu = treeCpuSeconds(hub.child.pid as number) - cpuBefore;
    figures.load = load();
    stop.abort();
    clearInterval(heartbeats);
    await Promise.allSettled(loops);
  } finally {
    stop.abort();
    // What the hub logged as errors, so a failed request in the table has its reason.
    const logged = hub
      .stdout()
      .split("\n")
      .filter((line) => line.includes('"level":50'));
    for (const line of logged.slice(0, 3)) figures.errors.push(`hub: ${line.slice(0, 400)}`);
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

const sides: Figures[] = [];
let beforeTree: string | undefined;
try {
  if (values.before) {
    beforeTree = checkout(values.before);
    sides.push(await measure(`before (${values.before})`, beforeTree));
  }
  sides.push(await measure("this tree", ROOT));
} finally {
  if (beforeTree) rmSync(beforeTree, { recursive: true, force: true });
}

const fmt = (n: number) => (Number.isNaN(n) ? "–" : n.toFixed(0));
console.log(
  values.idle
    ? `\n${AGENTS} agents long-polling and heartbeating, nothing else; ${DURATION_MS / 1000} s, Node ${process.version}\n`
    : `\n${AGENTS} agents long-polling, ${READERS} readers, ${values["orders-per-second"]} orders/s, a sign-in every 2 s, catalog ingest ${values["no-ingest"] ? "off" : "at full rate"}; ${DURATION_MS / 1000} s, Node ${process.version}\n`,
);
console.log(
  "| side | poll answer p50 / p99 ms (n) | page p50 / p99 ms (n) | sign-in p50 / max ms | ingest entries/s | hub CPU s | errors | load |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const s of sides) {
  console.log(
    `| ${s.label} | ${fmt(p(s.polls, 0.5))} / ${fmt(p(s.polls, 0.99))} (${s.polls.length}) | ${fmt(p(s.pages, 0.5))} / ${fmt(p(s.pages, 0.99))} (${s.pages.length}) | ${fmt(p(s.logins, 0.5))} / ${fmt(s.logins.length ? Math.max(...s.logins) : Number.NaN)} | ${fmt(s.ingested / (s.ingestSeconds || 1))} | ${s.hubCpu.toFixed(1)} | ${s.errors.length} | ${s.load} |`,
  );
}
const [before, after] = sides;
if (before && after) {
  console.log(
    `\nafter / before: poll p99 ${(p(after.polls, 0.99) / p(before.polls, 0.99)).toFixed(2)}×, page p99 ${(p(after.pages, 0.99) / p(before.pages, 0.99)).toFixed(2)}×, ingest ${(after.ingested / after.ingestSeconds / (before.ingested / before.ingestSeconds)).toFixed(2)}×`,
  );
}
const target = sides.at(-1) as Figures;
console.log(
  `target poll and page p99 < 50 ms: poll ${fmt(p(target.polls, 0.99))} ms, page ${fmt(p(target.pages, 0.99))} ms`,
);
for (const s of sides) {
  if (s.errors.length === 0) continue;
  const requests = s.errors.filter((e) => !e.startsWith("hub: "));
  console.log(`${s.label} errors (first 3 of ${requests.length}): ${requests.slice(0, 3).join(" | ")}`);
  for (const line of s.errors.filter((e) => e.startsWith("hub: "))) console.log(`  ${line}`);
}
