import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCommand } from "../../drive-agent/exec.ts";
import { ROOT, type Spawned, spawnProcess, TSX } from "./process.ts";

export const AGENT_LAUNCHER = resolve(ROOT, "drive-agent/bin/drive-agent.js");
export const HUB_ADMIN_PASSWORD = "admin-password-for-agent-tests";

/** Runs a one-shot `drive-agent` command (enroll, read-label, ...) as a separate process. */
export const agentCli = (...args: string[]) =>
  runCommand({ argv: [AGENT_LAUNCHER, ...args], timeoutMs: 60_000 });

/** Settings that make an agent quick to observe in tests (the defaults suit production). */
export const FAST_AGENT_ENV = {
  TAPEBACKARR_AGENT_HEARTBEAT_MS: "1000",
  TAPEBACKARR_AGENT_POLL_WAIT: "2",
  TAPEBACKARR_AGENT_SHUTDOWN_GRACE_MS: "3000",
};

/**
 * `drive-agent run` as its own process; `entry` may be a test build of the agent (stand-in
 * executors), loaded in-process with tsx's hook so a signal reaches the agent, not a wrapper.
 */
export function spawnAgent(stateDir: string, env: Record<string, string> = {}, entry?: string): Spawned {
  const [command, args] = entry ? [process.execPath, ["--import", "tsx", entry]] : [AGENT_LAUNCHER, []];
  return spawnProcess(command, [...args, "run", "--state-dir", stateDir], { ...FAST_AGENT_ENV, ...env });
}

/** The agent's pino lines, parsed. */
export function logLines(agent: Spawned): Record<string, unknown>[] {
  return agent
    .stdout()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

type Api = <T = unknown>(
  method: string,
  path: string,
  json?: unknown,
) => Promise<{ status: number; body: T }>;

/** A running hub, on Node or under workerd: where it listens, its API as the admin, and how to stop it. */
export type HubHandle = {
  url: string;
  api: Api;
  stop(): Promise<void>;
};

export type HubProcess = HubHandle & {
  dir: string;
  process: Spawned;
  admin: string;
  /**
   * Stops the hub and starts it again on the same catalog and port, as a service manager would;
   * `loseCatalog`: on a new, empty catalog instead (the database file was lost).
   */
  restart(options?: { loseCatalog?: boolean }): Promise<void>;
};

const spawnHub = (dir: string, port: string, env: Record<string, string> = {}) =>
  spawnProcess(TSX, ["functions/node.ts"], {
    PORT: port,
    DATA_DIR: dir,
    TAPEBACKARR_ADMIN_PASSWORD: HUB_ADMIN_PASSWORD,
    BCRYPT_COST: "4",
    POLL_INTERVAL_MS: "50",
    ...env,
  });

/** Another hub process on the catalog (and keys) of `dir`, on its own ephemeral port. */
export async function startHubOnCatalog(
  dir: string,
  env: Record<string, string> = {},
): Promise<{ url: string; process: Spawned }> {
  const hub = spawnHub(dir, "0", env);
  const url = (await hub.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  return { url, process: hub };
}

async function call<T>(url: string, method: string, path: string, json?: unknown, token?: string) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(json === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Signs in to the hub at `url` as the admin; the API as that admin, and its token. */
export async function hubApi(url: string, password: string): Promise<Api & { token: string }> {
  const login = await call<{ token: string }>(url, "POST", "/api/v1/auth/login", {
    username: "admin",
    password,
  });
  if (login.status !== 200)
    throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.token;
  return Object.assign(
    <T>(method: string, path: string, json?: unknown) => call<T>(url, method, path, json, token),
    {
      token,
    },
  );
}

/**
 * The real hub (`tsx functions/node.ts`) on an ephemeral loopback port with a temp catalog, or
 * on `dir` when given (a data directory a test prepared, e.g. a catalog restored from tape);
 * `env` adds to the hub's environment.
 */
export async function startHubProcess(
  opts: { dir?: string; env?: Record<string, string> } = {},
): Promise<HubProcess> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "tb-agent-hub-"));
  const hub = spawnHub(dir, "0", opts.env ?? {});
  const url = (await hub.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  const api = await hubApi(url, HUB_ADMIN_PASSWORD);
  const handle: HubProcess = {
    url,
    dir,
    process: hub,
    admin: api.token,
    api,
    async restart(options = {}) {
      await handle.process.stop();
      if (options.loseCatalog)
        for (const file of readdirSync(dir)) if (file.startsWith("tapebackarr.db")) rmSync(join(dir, file));
      handle.process = spawnHub(dir, new URL(url).port, opts.env ?? {});
      await handle.process.waitFor(/ready: open/);
    },
    async stop() {
      // The process may have been replaced (a test restarting the hub on the same catalog).
      await handle.process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
