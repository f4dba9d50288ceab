import { parseArgs } from "node:util";
import { DEFAULT_STATE_DIR, runSettingsFromEnv } from "../config.ts";
import { runAgent } from "../runtime/agent.ts";
import { createAgentLogger } from "../runtime/logger.ts";
import type { Executors } from "../runtime/run-order.ts";

export const runOptions = { "state-dir": { type: "string" } } as const;

/**
 * `drive-agent run`: one abort tree for the process. The first SIGTERM (or Ctrl-C) stops the
 * current orders cleanly and lets their reports reach the hub; a second one exits at once.
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
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
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
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
