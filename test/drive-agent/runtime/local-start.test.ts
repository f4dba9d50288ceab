import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HUB_ADMIN_PASSWORD } from "../../helpers/agent-process.ts";
import { ROOT, type Spawned, spawnProcess } from "../../helpers/process.ts";
import { commandOf, descendantsOf, listChildProcesses, stillRunning } from "../helpers/child-processes.ts";

/** Every process that holds the pipes it was given (the agent inherits them) has exited. */
async function pipesClosed(spawned: Spawned): Promise<void> {
  for (const stream of [spawned.child.stdout, spawned.child.stderr])
    if (stream && !stream.closed) await once(stream, "close");
}

/** What `npm start` runs: the hub and a local agent on a vtl in the data directory. */
describe("npm start (scripts/start.ts)", () => {
  let dir: string;
  let start: Spawned;
  const env = () => ({
    PORT: "0",
    DATA_DIR: dir,
    TAPEBACKARR_ADMIN_PASSWORD: HUB_ADMIN_PASSWORD,
    BCRYPT_COST: "4",
    POLL_INTERVAL_MS: "50",
    TAPEBACKARR_AGENT_HEARTBEAT_MS: "1000",
  });
  const api = async <T>(url: string, path: string, body?: unknown): Promise<T> => {
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: HUB_ADMIN_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    return (
      await fetch(`${url}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json() as Promise<T>;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-start-"));
  });
  // A test that failed half-way must not leave its start holding the data directory for the next.
  afterEach(async () => {
    await start?.stop();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    expect(await listChildProcesses()).toEqual([]);
  });

  it("starts the hub and an enrolled local agent that labels two tapes into pool Default", async () => {
    start = spawnProcess(process.execPath, ["--import", "tsx", "scripts/start.ts"], env());
    const url = (await start.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    await start.waitFor(/(?:[\s\S]*?"state":"completed","msg":"result delivered"){2}/);
    const tapes = await api<{ items: { barcode: string; state: string; poolId: number | null }[] }>(
      url,
      "/api/v1/tapes",
    );
    const labelled = tapes.items.filter((t) => t.state === "active").map((t) => t.barcode);
    expect(labelled.sort()).toEqual(["TB0001L9", "TB0002L9"]);
    expect(await start.stop()).toBe(0);
    expect(start.stderr() + start.stdout()).toContain('"msg":"agent stopped"');
  });

  it("reuses the library and the enrollment on the next start", async () => {
    start = spawnProcess(process.execPath, ["--import", "tsx", "scripts/start.ts"], env());
    const url = (await start.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    await start.waitFor(/"msg":"agent started"/);
    expect(start.stderr()).not.toContain("Enrolled as agent");
    const agents = await api<{ items: { name: string; state: string }[] }>(url, "/api/v1/agents");
    expect(agents.items).toEqual([expect.objectContaining({ name: "local", state: "online" })]);
    expect(await start.stop()).toBe(0);
  });

  it("enrols the local agent again when the catalog was lost, and a scan brings its tapes back", async () => {
    for (const file of readdirSync(dir)) if (file.startsWith("tapebackarr.db")) rmSync(join(dir, file));
    start = spawnProcess(process.execPath, ["--import", "tsx", "scripts/start.ts"], env());
    const url = (await start.waitFor(/ready: open (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    expect(start.stderr()).toMatch(
      /this catalog does not know the local agent [\w-]+ \(the catalog is new or was lost\): enrolling it again/,
    );
    expect(start.stderr()).toContain("Enrolled as agent");
    await start.waitFor(/"msg":"agent started"/);
    // The new catalog serves the agent an order, and the agent carries it out.
    const drives = await api<{ items: { id: number }[] }>(url, "/api/v1/drives");
    await api(url, `/api/v1/drives/${drives.items[0]?.id}/scan`, { barcode: "TB0001L9" });
    await start.waitFor(/"state":"completed","msg":"result delivered"/);
    const tapes = await api<{ items: { barcode: string; state: string }[] }>(url, "/api/v1/tapes");
    expect(tapes.items.find((t) => t.barcode === "TB0001L9")?.state).toBe("active");
    expect(start.stdout()).not.toContain("does not know agent");
    expect(await start.stop()).toBe(0);
  });

  it("starts the hub alone when TAPEBACKARR_LOCAL_AGENT=false", async () => {
    start = spawnProcess(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      ...env(),
      TAPEBACKARR_LOCAL_AGENT: "false",
    });
    await start.waitFor(/ready: open/);
    expect(start.stderr()).not.toContain("A local drive-agent runs");
    expect(await start.stop()).toBe(0);
    expect(start.stdout()).not.toContain("tapebackarr-agent");
  });

  it("`npm start` stopped by SIGTERM to npm alone leaves neither the hub nor the agent running", async () => {
    start = spawnProcess("npm", ["start"], {
      ...env(),
      PATH: `${ROOT}/node_modules/.bin:${process.env.PATH ?? ""}`,
      npm_config_update_notifier: "false",
    });
    await start.waitFor(/"msg":"agent started"/);
    const started = descendantsOf(start.child.pid as number);
    // npm runs the launcher, which runs the agent: both are to stop.
    expect(started.map(commandOf)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("scripts/start.ts"),
        expect.stringContaining("drive-agent.js run"),
      ]),
    );
    expect(start.child.kill("SIGTERM")).toBe(true);
    await once(start.child, "exit");
    await pipesClosed(start);
    expect(await stillRunning(started)).toEqual([]);
    expect(start.stdout() + start.stderr()).toContain('"msg":"agent stopped"');
  });

  it("the local agent stops by itself when the process that started it is killed", async () => {
    start = spawnProcess(process.execPath, ["--import", "tsx", "scripts/start.ts"], env());
    await start.waitFor(/"msg":"agent started"/);
    const started = descendantsOf(start.child.pid as number);
    expect(started.map(commandOf)).toEqual(
      expect.arrayContaining([expect.stringContaining("drive-agent.js run")]),
    );
    expect(start.child.kill("SIGKILL")).toBe(true);
    await pipesClosed(start);
    expect(await stillRunning(started)).toEqual([]);
    expect(start.stdout()).toContain("the process that started this agent is gone: stopping");
    expect(start.stdout()).toContain('"msg":"agent stopped"');
  });
});
