import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import type { D1Database } from "@cloudflare/workers-types";
import { type HubHandle, hubApi } from "./agent-process.ts";
import { ROOT } from "./process.ts";

const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** wrangler kept off the network: no metrics, no banner with its update check, no Request.cf download. */
const WRANGLER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

const execFileAsync = promisify(execFile);

/**
 * How long a test file's setup may take to apply the migrations to a local D1 and start
 * `wrangler dev`: ~15 s on a quiet machine, over 60 s on a loaded 2-core runner.
 */
export const D1_SETUP_TIMEOUT_MS = 240_000;

/** The real wrangler CLI, on the Node that runs the tests (wrangler needs Node 22). */
export async function wrangler(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: WRANGLER_ENV,
    // Applying the migrations is ~10 s of CPU; on a loaded 2-core runner it took over 60 s of wall time.
    timeout: 180_000,
    maxBuffer: 64 << 20,
  });
  return stdout;
}

/** `wrangler d1 migrations apply DB --local` into `persistDir`: what `npm run dev:worker` does first. */
export async function migrateLocalD1(persistDir: string): Promise<void> {
  await wrangler(["d1", "migrations", "apply", "DB", "--local", `--persist-to=${persistDir}`]);
}

/** Rows of one SQL statement run on the local D1 in `persistDir` with `wrangler d1 execute`. */
export async function queryLocalD1<T>(persistDir: string, command: string): Promise<T[]> {
  const out = await wrangler([
    "d1",
    "execute",
    "DB",
    "--local",
    `--persist-to=${persistDir}`,
    "--json",
    `--command=${command}`,
  ]);
  const [result] = JSON.parse(out) as { results: T[] }[];
  return result?.results ?? [];
}

/** A file of the hub's three secrets, fresh, as `.dev.vars` would give them. */
export function writeSecretsFile(path: string): string {
  writeFileSync(
    path,
    ["ORDER_SIGNING_KEY", "MASTER_KEY", "SESSION_SECRET"]
      .map((name) => `${name}=${randomBytes(32).toString("base64url")}\n`)
      .join(""),
  );
  return path;
}

export interface DevServer {
  url: string;
  process: ChildProcess;
  output: string[];
}

/**
 * `wrangler dev` in its own process group, resolved when wrangler says the worker is ready.
 * Secrets come from `envFile` (as `.dev.vars` would give them), which also keeps a developer's
 * own `.dev.vars` out of the test; `vars` become `--var` bindings.
 */
export async function startWranglerDev(
  persistDir: string,
  envFile: string,
  opts: { vars?: Record<string, string>; testScheduled?: boolean } = {},
): Promise<DevServer> {
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      "--local",
      "--ip=127.0.0.1",
      "--port=0",
      "--inspector-port=0",
      `--persist-to=${persistDir}`,
      `--env-file=${envFile}`,
      ...Object.entries(opts.vars ?? {}).map(([name, value]) => `--var=${name}:${value}`),
      ...(opts.testScheduled ? ["--test-scheduled"] : []),
      "--show-interactive-dev-session=false",
    ],
    { cwd: ROOT, env: WRANGLER_ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => output.push(line));
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(new Error(`wrangler dev exited (${code ?? signal}) before it was ready:\n${output.join("\n")}`)),
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      output.push(line);
      const ready = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (ready?.[1]) resolveUrl(ready[1]);
    });
  });
  return { url, process: child, output };
}

/** Stops wrangler as Ctrl-C would (its wrapper forwards SIGTERM) and waits for it to exit. */
export async function stopWranglerDev(server: DevServer): Promise<void> {
  const { pid } = server.process;
  if (pid === undefined || server.process.exitCode !== null || server.process.signalCode !== null) return;
  const exited = once(server.process, "exit");
  process.kill(pid, "SIGTERM");
  await exited;
}

/** Safety net after a failed run: whatever is left of the group wrangler dev was started in. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * The processes of a group that are still running, from /proc (Linux). Zombies do not count:
 * workerd is reparented to init when wrangler exits, and init reaps it in its own time.
 */
export function liveGroupMembers(pgid: number): string[] {
  const live: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces, so split after its closing paren.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z")
      live.push(`${pid} ${stat.slice(0, stat.lastIndexOf(")") + 1)} ${state}`);
  }
  return live;
}

/** wrangler dev stopped, then whatever is left of its group killed. */
export async function stopDevServer(server: DevServer | undefined): Promise<void> {
  if (!server) return;
  await stopWranglerDev(server);
  if (server.process.pid !== undefined) killGroup(server.process.pid);
}

export const WORKERD_ADMIN_PASSWORD = "admin-password-for-workerd";

export type WorkerdHub = HubHandle & {
  /** The local D1's files (wrangler's --persist-to). */
  persistDir: string;
  server: DevServer;
  /** Fires the cron trigger as Cloudflare would (wrangler dev --test-scheduled). */
  scheduled(cron: string): Promise<Response>;
};

/**
 * The hub under workerd, as `npm run dev:worker` runs it: `wrangler dev` on a fresh local D1
 * (migrated with wrangler), its secrets from a file, signed in as the admin. The same handle as
 * the Node hub process's, so the end-to-end helpers drive either.
 */
export async function startWorkerdHub(vars: Record<string, string> = {}): Promise<WorkerdHub> {
  const persistDir = mkdtempSync(join(tmpdir(), "tb-workerd-hub-"));
  let server: DevServer | undefined;
  try {
    await migrateLocalD1(persistDir);
    server = await startWranglerDev(persistDir, writeSecretsFile(join(persistDir, "secrets.env")), {
      testScheduled: true,
      vars: { TAPEBACKARR_ADMIN_PASSWORD: WORKERD_ADMIN_PASSWORD, BCRYPT_COST: "4", ...vars },
    });
    const running = server;
    const api = await hubApi(running.url, WORKERD_ADMIN_PASSWORD);
    return {
      url: running.url,
      persistDir,
      server: running,
      api,
      scheduled: (cron) => fetch(`${running.url}/__scheduled?cron=${encodeURIComponent(cron)}`),
      async stop() {
        await stopDevServer(running);
        rmSync(persistDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopDevServer(server);
    rmSync(persistDir, { recursive: true, force: true });
    throw error;
  }
}

/** A local D1 in a temp dir, migrated as `npm run dev:worker` does, and its binding through wrangler's platform proxy. */
export interface LocalD1 {
  DB: D1Database;
  /** Stops the proxy and removes the temp dir. */
  close(): Promise<void>;
}

export async function startLocalD1(prefix: string): Promise<LocalD1> {
  const persistDir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await migrateLocalD1(persistDir);
    const { getPlatformProxy } = await import("wrangler");
    const proxy = await getPlatformProxy<{ DB: D1Database }>({
      configPath: join(ROOT, "wrangler.toml"),
      persist: { path: join(persistDir, "v3") },
      envFiles: [],
      remoteBindings: false,
    });
    return {
      DB: proxy.env.DB,
      close: async () => {
        await proxy.dispose();
        rmSync(persistDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(persistDir, { recursive: true, force: true });
    throw error;
  }
}
