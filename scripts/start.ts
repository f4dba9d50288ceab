/**
 * `npm start`: the hub, plus (unless TAPEBACKARR_LOCAL_AGENT=false) a drive-agent on a virtual
 * tape library under the data directory, enrolled and with two tapes labelled into pool
 * "Default", so a newcomer can run a backup at once. A second start reuses all of it.
 * The local agent is created through the hub's service layer (this is a Node-only script on
 * the hub's own catalog), so no admin password or API key is needed for it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { eq } from "drizzle-orm";
import { runEnrollCommand } from "../drive-agent/cli/enroll-command.ts";
import { createOutput } from "../drive-agent/cli/output.ts";
import { initLibrary, isLibrary } from "../drive-agent/drives/vtl/library.ts";
import { readAgentConfig, writeAgentConfig } from "../drive-agent/runtime/state-dir.ts";
import { type Config, ConfigError, parseConfig } from "../functions/config.ts";
import { openCatalog } from "../functions/db/client-node.ts";
import { agents, pools, tapes } from "../functions/db/schema/index.ts";
import type { ServiceCtx } from "../functions/deps.ts";
import { type RunningHub, reportStartFailure, startNodeHub } from "../functions/node.ts";
import { createAgent } from "../functions/services/agents/create-agent.ts";
import { createPool, createPoolInput } from "../functions/services/pools/create-pool.ts";
import { requestLabel } from "../functions/services/tapes/label-tape.ts";

const LAUNCHER = resolve(import.meta.dirname, "../drive-agent/bin/drive-agent.js");
const DEMO_TAPES = ["TB0001L9", "TB0002L9"];

function localAgentEnabled(env: NodeJS.ProcessEnv): boolean {
  const value = (env.TAPEBACKARR_LOCAL_AGENT ?? "true").toLowerCase();
  if (!["true", "false", "1", "0", "yes", "no", ""].includes(value))
    throw new ConfigError(`Invalid configuration:\n  TAPEBACKARR_LOCAL_AGENT: must be true or false`);
  return !["false", "0", "no"].includes(value);
}

/**
 * Library, enrollment and demo labels, each only when missing. Returns the agent's state dir.
 * An enrollment the catalog does not know (the catalog was lost or replaced) is made again: the
 * agent would otherwise be answered 401 for ever.
 */
async function prepareLocalAgent(config: Config, hubUrl: string): Promise<string> {
  const dataDir = resolve(config.DATA_DIR);
  const vtl = join(dataDir, "vtl");
  const stateDir = join(dataDir, "agent");
  if (!(await isLibrary(vtl))) {
    await initLibrary({ dir: vtl, drives: 2, slots: 8, cartridges: 4, capacityBytes: 4 * 1024 ** 3 });
    say(`created a virtual tape library in ${vtl}: 2 drives, 8 slots, 4 cartridges of 4 GiB`);
  }
  const databaseUrl = config.DATABASE_URL ?? `file:${config.DATA_DIR}/tapebackarr.db`;
  const catalog = openCatalog(databaseUrl, config.DATABASE_AUTH_TOKEN);
  const ctx: ServiceCtx = { db: catalog.db, now: () => new Date() };
  try {
    const enrolled = await readAgentConfig(stateDir);
    if (enrolled) {
      const known = await ctx.db.query.agents.findFirst({ where: eq(agents.id, enrolled.agentId) });
      if (known) {
        // The same hub on another port (PORT changed): the local agent follows it.
        const origin = new URL(hubUrl).origin;
        if (enrolled.hubUrl !== origin) await writeAgentConfig(stateDir, { ...enrolled, hubUrl: origin });
        return stateDir;
      }
      say(
        `this catalog does not know the local agent ${enrolled.agentId} (the catalog is new or was lost): enrolling it again`,
      );
    }
    const { enrollmentToken } = await createAgent(ctx, { name: "local", site: "This host" });
    await runEnrollCommand(
      [
        "--hub",
        hubUrl,
        "--token",
        enrollmentToken,
        "--state-dir",
        stateDir,
        "--vtl",
        vtl,
        ...(enrolled ? ["--force"] : []),
      ],
      createOutput(false, (text) => process.stderr.write(text.replace(/^(?=.)/gm, "  "))),
    );
    if (enrolled) {
      // Its tapes keep their labels and sets: a scan brings them back into this catalog.
      say(
        "the library's tapes keep their labels and sets: scan them to bring their sets back (Agents → Scan on a drive's row)",
      );
      return stateDir;
    }
    const pool =
      (await ctx.db.query.pools.findFirst({ where: eq(pools.name, "Default") })) ??
      (await createPool(ctx, createPoolInput.parse({ name: "Default" })));
    for (const barcode of DEMO_TAPES) {
      const tape = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, barcode) });
      if (tape?.state === "blank") await requestLabel(ctx, tape.id, { poolId: pool.id, force: false });
    }
    say(`asked the local agent to label ${DEMO_TAPES.join(" and ")} into pool "Default"`);
  } finally {
    catalog.client.close();
  }
  return stateDir;
}

function say(text: string): void {
  process.stderr.write(`  local agent: ${text}\n`);
}

async function main(): Promise<void> {
  let config: Config;
  let withAgent: boolean;
  try {
    config = parseConfig(process.env);
    withAgent = localAgentEnabled(process.env);
  } catch (error) {
    process.exit(reportStartFailure(error));
  }
  let hub: RunningHub | null = null;
  let agent: ChildProcess | null = null;
  let stopping = false;
  // Installed before anything starts, so a signal during start-up is handled too. npm runs this
  // script with `exec` and forwards SIGTERM and SIGINT; a closed terminal sends SIGHUP.
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: the agent exits at once too, and we go when it has.
      if (!agent) process.exit(1);
      agent.once("exit", () => process.exit(1));
      agent.kill(signal);
      return;
    }
    stopping = true;
    const closeHub = () => (hub ? hub.close() : Promise.resolve()).then(() => process.exit(0));
    if (!agent) return void closeHub();
    agent.once("exit", closeHub);
    agent.kill("SIGTERM");
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
  process.on("exit", () => agent?.kill("SIGKILL"));

  try {
    hub = await startNodeHub(process.env);
  } catch (error) {
    process.exit(reportStartFailure(error));
  }
  const stateDir =
    withAgent && !stopping
      ? await prepareLocalAgent(config, hub.url).catch((error: Error) => {
          say(`not started: ${error.message}; the hub keeps running`);
          return null;
        })
      : null;
  if (stateDir && !stopping) {
    // Its own process group: a terminal's Ctrl-C reaches it once, through us, not twice. The IPC
    // channel closes when this process dies, however it dies: the agent then stops by itself.
    agent = spawn(process.execPath, [LAUNCHER, "run", "--state-dir", stateDir], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      detached: true,
      env: { ...process.env, LOG_LEVEL: process.env.AGENT_LOG_LEVEL ?? "info" },
    });
    agent.once("exit", (code, signal) => {
      agent = null;
      if (!stopping) say(`the agent exited (${signal ?? code}); the hub keeps running`);
    });
  }
  process.stderr.write(
    `\n  TapeBackarr hub is ready: open ${hub.url}\n${agent ? "  A local drive-agent runs on the virtual library in the data directory (TAPEBACKARR_LOCAL_AGENT=false turns it off).\n" : ""}\n`,
  );
}

await main();
