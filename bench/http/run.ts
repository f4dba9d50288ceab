/**
 * HTTP benchmark of the Node hub on loopback: GET /api/v1/health and an authenticated,
 * paginated list (GET /api/v1/tapes?limit=50 over 500 tapes), next to a bare node:http
 * server measured in the same run. Prints req/s and p50/p99 latency for each, and ratios.
 *
 *   npm run bench:http [-- --duration 10 --connections 10]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { spawnProcess, TSX } from "../../test/helpers/process.ts";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "10" } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const PASSWORD = "bench-admin-password";

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function measure(name: string, url: string, headers: Record<string, string> = {}): Promise<Figures> {
  await autocannon({ url, connections, duration: 2, headers }); // warm-up, not reported
  const r = await autocannon({ url, connections, duration, headers });
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}

const dir = mkdtempSync(join(tmpdir(), "tb-bench-http-"));
const hub = spawnProcess(TSX, ["functions/node.ts"], {
  PORT: "0",
  DATA_DIR: dir,
  TAPEBACKARR_ADMIN_PASSWORD: PASSWORD,
  LOG_LEVEL: "info",
});
const baseline = spawnProcess(TSX, ["bench/http/baseline-server.ts"], {});
try {
  const url = (await hub.waitFor(/ready: open (http:\/\/[\d.]+:\d+)/))[1] as string;
  const basePort = (await baseline.waitFor(/baseline listening on (\d+)/))[1] as string;
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  const auth = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 500; i++) {
    await fetch(`${url}/api/v1/tapes`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ barcode: `B${String(i).padStart(5, "0")}L9`, generation: "LTO-9" }),
    });
  }

  const rows = [
    await measure("node:http fixed JSON (baseline)", `http://127.0.0.1:${basePort}/`),
    await measure("hub GET /api/v1/health", `${url}/api/v1/health`),
    await measure("hub GET /api/v1/tapes?limit=50 (bearer)", `${url}/api/v1/tapes?limit=50`, auth),
  ];
  const base = rows[0] as Figures;
  console.log(`\nloopback, ${connections} connections, ${duration} s each, Node ${process.version}\n`);
  console.log("| endpoint | req/s | p50 ms | p99 ms | errors | req/s vs baseline |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${(r.rps / base.rps).toFixed(2)}× |`,
    );
  }
} finally {
  await Promise.all([hub.stop(), baseline.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
