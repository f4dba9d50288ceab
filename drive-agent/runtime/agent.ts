import { AGENT_PROTOCOL, drivePathOf, type HeartbeatRequest } from "../../contracts/agent-protocol.ts";
import type { AgentConfig, RunSettings } from "../config.ts";
import { acquireLock } from "../drives/vtl/lock.ts";
import { AgentError } from "../errors.ts";
import { executeBackup } from "../orders/backup.ts";
import { executeEject } from "../orders/eject.ts";
import { executeLabel } from "../orders/label.ts";
import { executeRestore } from "../orders/restore.ts";
import { executeScan } from "../orders/scan.ts";
import { executeVerify } from "../orders/verify.ts";
import { AGENT_VERSION } from "../version.ts";
import { devicePathOf, hardwareReport } from "./hardware.ts";
import { HubClient, HubUnreachable, unknownAgentAdvice } from "./hub-client.ts";
import { HubReporter } from "./hub-reporter.ts";
import type { Logger } from "./logger.ts";
import {
  type AbortReason,
  deliverAfterReports,
  type Executors,
  type OrderEnv,
  runOrder,
} from "./run-order.ts";
import {
  ensureStateDir,
  listOrderRecords,
  listOutboxes,
  loadKeys,
  readAgentConfig,
  SeenOrderStore,
  statePaths,
} from "./state-dir.ts";
import { createOrderVerifier, verifyOrder, verifyTapeOffer } from "./verify-order.ts";

type Active = { controller: AbortController; devicePath: string; done: Promise<void> };

/**
 * The unattended agent: reports orders a previous run left behind, then heartbeats and
 * long-polls for work until `stop` aborts. Stopping aborts running orders (reason
 * "shutdown"), lets them post their results within the grace period, and returns.
 */
export async function runAgent(opts: {
  stateDir: string;
  settings: RunSettings;
  logger: Logger;
  stop: AbortSignal;
  executors?: Executors;
}): Promise<void> {
  const { stateDir } = opts;
  const config = await readAgentConfig(stateDir);
  if (!config)
    throw new AgentError(
      "NOT_ENROLLED",
      "operator",
      `${stateDir} holds no enrollment; run drive-agent enroll first`,
    );
  await ensureStateDir(stateDir);
  // Two agents on one state dir would both claim its orders and replay list.
  const lock = await acquireLock(statePaths(stateDir).lock, `agent state dir ${stateDir}`);
  try {
    await serve({ ...opts, config });
  } finally {
    await lock.release();
  }
}

async function serve(opts: Parameters<typeof runAgent>[0] & { config: AgentConfig }): Promise<void> {
  const { stateDir, settings, stop, config } = opts;
  const keys = await loadKeys(stateDir);
  const log = opts.logger.child({ agentId: config.agentId });
  const client = new HubClient(config.hubUrl, config.agentId, keys.signing);
  const seen = await SeenOrderStore.open(stateDir);
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const verifier = await createOrderVerifier(config, {
    skewSeconds: settings.clockSkewSeconds,
    isSeen: (jti) => seen.has(jti),
    nowSeconds,
  });

  // Retries go on for as long as the agent runs, then for the grace period after a stop.
  const grace = new AbortController();
  stop.addEventListener("abort", () => setTimeout(() => grace.abort(), settings.shutdownGraceMs).unref(), {
    once: true,
  });
  const env: OrderEnv = {
    config,
    stateDir,
    client,
    encryptionKey: keys.encryption,
    executors: opts.executors ?? {
      backup: executeBackup,
      label: executeLabel,
      restore: executeRestore,
      eject: executeEject,
      scan: executeScan,
      verify: executeVerify,
    },
    log,
    retryUntil: grace.signal,
    verifyTapeOffer: (jws, orderId) => verifyTapeOffer(jws, verifier, orderId),
    proxmox: settings.proxmox,
  };
  const active = new Map<string, Active>();
  const busyPaths = () => new Set([...active.values()].map((a) => a.devicePath));

  let hubDown = false;
  // Said once until the hub knows the agent again: a 401 repeats on every request.
  let unknown = false;
  const refusedAs = (error: unknown): boolean => {
    const advice = unknownAgentAdvice(error, config.hubUrl, config.agentId, stateDir);
    if (advice && !unknown) log.error({ stage: "auth" }, advice);
    unknown = advice !== null;
    return unknown;
  };
  const heartbeat = async () => {
    try {
      const hardware = await hardwareReport(config, busyPaths());
      const body: HeartbeatRequest = {
        version: AGENT_VERSION,
        protocol: AGENT_PROTOCOL,
        ...hardware,
        activeOrders: [...active.keys()],
        sentAt: Date.now(),
      };
      await client.send("POST", "/heartbeat", body, { timeoutMs: 15_000, signal: stop });
      if (hubDown) log.info({ stage: "heartbeat" }, "hub reachable again");
      if (unknown) log.info({ stage: "auth" }, "the hub knows this agent again");
      hubDown = false;
      unknown = false;
    } catch (error) {
      if (stop.aborted) return;
      if (refusedAs(error)) return;
      if (!hubDown) log.warn({ stage: "heartbeat", err: (error as Error).message }, "heartbeat failed");
      hubDown = error instanceof HubUnreachable;
    }
  };
  const heartbeats = setInterval(heartbeat, settings.heartbeatMs);
  stop.addEventListener("abort", () => {
    clearInterval(heartbeats);
    for (const order of active.values()) order.controller.abort("shutdown" satisfies AbortReason);
  });
  log.info({ stage: "start", hub: config.hubUrl, drives: config.drives.map(devicePathOf) }, "agent started");
  await heartbeat();

  await recoverOrders(env, stop);

  while (!stop.aborted) {
    // Read each time: a detect order can change the agent's drives while it runs.
    const maxActive = Math.max(1, config.drives.length);
    // Polls while a drive has no order: one queued behind a busy drive (a backup waiting for a
    // tape) must not keep the next order, for a free drive, from being taken.
    if (busyPaths().size >= maxActive) {
      await Promise.race([...active.values()].map((a) => a.done));
      continue;
    }
    let polled: unknown;
    try {
      const res = await client.send("GET", `/orders/next?wait=${settings.pollWaitSeconds}`, undefined, {
        signal: stop,
        timeoutMs: (settings.pollWaitSeconds + 20) * 1000,
        retry: {
          until: stop,
          onRetry: (error, attempt, delayMs) => {
            if (attempt === 1 || attempt % 10 === 0)
              log.warn(
                { stage: "poll", err: error.message, attempt, delayMs },
                "hub unreachable; polling again",
              );
          },
        },
      });
      if (res.status === 204) continue;
      polled = (res.json as { order?: unknown } | null)?.order;
    } catch (error) {
      if (stop.aborted) break;
      // A refused poll (agent disabled or deleted at the hub) will not fix itself quickly.
      if (!refusedAs(error))
        log.error({ stage: "poll", err: (error as Error).message }, "the hub refused the poll; waiting");
      await new Promise((resolve) => setTimeout(resolve, settings.heartbeatMs));
      continue;
    }
    if (typeof polled !== "string") {
      log.warn({ stage: "verify" }, "refused work order: not a compact JWS");
      continue;
    }
    const verdict = await verifyOrder(polled, verifier);
    if (!verdict.ok) {
      log.warn({ stage: "verify", reason: verdict.reason, detail: verdict.detail }, "refused work order");
      continue;
    }
    const { claims } = verdict;
    await seen.add(claims.jti, claims.exp, nowSeconds(), settings.clockSkewSeconds);
    const controller = new AbortController();
    // A discover order uses no drive; it queues behind other API orders only.
    const devicePath = drivePathOf(claims.body) ?? "pve-api";
    const driveFree = Promise.all(
      [...active.values()].filter((a) => a.devicePath === devicePath).map((a) => a.done),
    ).then(() => {});
    const entry: Active = {
      controller,
      devicePath,
      done: runOrder(env, claims, controller, driveFree)
        .catch((error: Error) =>
          log.error({ orderId: claims.jti, err: error.message }, "order runner failed"),
        )
        .finally(() => {
          active.delete(claims.jti);
          if (!stop.aborted) void heartbeat();
        }),
    };
    active.set(claims.jti, entry);
  }

  clearInterval(heartbeats);
  if (active.size > 0)
    log.info({ stage: "stop", orders: [...active.keys()] }, "stopping: waiting for orders to close");
  await Promise.all([...active.values()].map((a) => a.done));
  log.info({ stage: "stop" }, "agent stopped");
}

/**
 * Orders a previous run of the agent left behind: their reports still on disk go to the hub first,
 * then their result (an order that was still running when the agent died is reported interrupted).
 */
async function recoverOrders(env: OrderEnv, stop: AbortSignal): Promise<void> {
  const records = await listOrderRecords(env.stateDir);
  const known = new Set(records.map((r) => r.orderId));
  const orphans = (await listOutboxes(env.stateDir)).filter((id) => !known.has(id));
  for (const orderId of orphans) {
    if (stop.aborted) return;
    const reporter = reporterFor(env, orderId);
    env.log.warn(
      { orderId, stage: "recover", reports: await reporter.resume() },
      "sending reports left on disk",
    );
    if (await reporter.flush()) await reporter.discard();
  }
  for (const record of records) {
    if (stop.aborted) return;
    const log = env.log.child({ orderId: record.orderId, kind: record.kind, runId: record.runId });
    const result = record.result ?? {
      state: "interrupted" as const,
      error: "the agent stopped (crash, kill or power loss) while running this order",
      retryable: true,
    };
    const reporter = reporterFor(env, record.orderId);
    const reports = await reporter.resume();
    log.warn({ stage: "recover", state: result.state, reports }, "reporting an order left by a previous run");
    await deliverAfterReports(env, { ...record, result }, reporter, log);
  }
}

function reporterFor(env: OrderEnv, orderId: string): HubReporter {
  return new HubReporter({
    client: env.client,
    orderId,
    stateDir: env.stateDir,
    log: env.log.child({ orderId }),
    until: env.retryUntil,
    onCancel: () => {},
  });
}
