import { parseArgs } from "node:util";
import { DEFAULT_STATE_DIR, runSettingsFromEnv } from "../config.ts";
import { runAgent } from "../runtime/agent.ts";
import { createAgentLogger } from "../runtime/logger.ts";
import type { Executors } from "../runtime/run-order.ts";

const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

export const runOptions = { "state-dir": { type: "string" } } as const;

/**
 * `drive-agent run`: one abort tree for the process. The first SIGTERM (or Ctrl-C, or SIGHUP)
 * stops the current orders cleanly and lets their reports reach the hub; a second one exits at
 * once. Started by a launcher with an IPC channel (`npm start`), the agent stops the same way
 * when that channel closes: the launcher died, even by SIGKILL, and nobody would stop it.
 */
export async function runRunCommand(argv: string[], executors?: Executors): Promise<number> {
  const { values } = parseArgs({ args: argv, options: runOptions, allowPositionals: false, strict: true });
  const settings = runSettingsFromEnv(process.env);
  const logger = createAgentLogger(settings.logLevel);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      logger.warn({ signal, stage: "stop" }, "second signal: exiting now");
      logger.flush();
      process.exit(1);
    }
    logger.info({ signal, stage: "stop" }, "stopping: finishing the current orders (signal again to force)");
    stop.abort();
  };
  const onParentGone = () => {
    if (stop.signal.aborted) return; // already finishing its orders: let it
    logger.warn({ stage: "stop" }, "the process that started this agent is gone: stopping");
    stop.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  if (process.channel) {
    process.channel.unref(); // the channel only tells us the parent is gone; it keeps nothing alive
    process.once("disconnect", onParentGone);
  }
  try {
    await runAgent({
      stateDir: values["state-dir"] ?? DEFAULT_STATE_DIR,
      settings,
      logger,
      stop: stop.signal,
      executors,
    });
    return 0;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    process.off("disconnect", onParentGone);
  }
}
