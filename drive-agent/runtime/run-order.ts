import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { compactDecrypt } from "jose";
import {
  type BackupOrderBody,
  drivePathOf,
  encryptionOf,
  type OrderClaims,
  type OrderResult,
  pveTokenJweOf,
  ScanSetAnswer,
  ScanTapeAnswer,
  setUuidOf,
  type TapeTarget,
} from "../../contracts/agent-protocol.ts";
import { CATALOG_DIR, CATALOG_FILE } from "../../contracts/catalog-backup.ts";
import type { AgentConfig, ProxmoxTools } from "../config.ts";
import type { Drive } from "../drives/drive.ts";
import { isDriveError } from "../errors.ts";
import { executeDetect } from "../orders/detect.ts";
import { type DiscoverExecutor, executeDiscover } from "../orders/discover.ts";
import { executeLibrary } from "../orders/library.ts";
import type { RestoreExecutor } from "../orders/restore.ts";
import type { ScanExecutor, ScanHub } from "../orders/scan.ts";
import type {
  BackupExecutor,
  EjectExecutor,
  ExecutorContext,
  LabelExecutor,
  LibraryExecutor,
  Robot,
  TapeChanger,
} from "../orders/types.ts";
import type { VerifyExecutor } from "../orders/verify.ts";
import { changerOfDrive, devicePathOf, notOnThisAgent } from "./hardware.ts";
import { type HubClient, HubRefused } from "./hub-client.ts";
import { HubReporter, type Refusal } from "./hub-reporter.ts";
import type { Logger } from "./logger.ts";
import { openOrderDrive } from "./order-drive.ts";
import { type OrderRecord, removeOrderRecord, statePaths, writeOrderRecord } from "./state-dir.ts";

export type Executors = {
  backup: BackupExecutor;
  label: LabelExecutor;
  restore: RestoreExecutor;
  eject: EjectExecutor;
  scan: ScanExecutor;
  verify: VerifyExecutor;
  /** Changer and drive care; the built-in one when a test build does not replace it. */
  library?: LibraryExecutor;
  /** Optional: the agent's own when absent (tests pass the drive executors they replace). */
  discover?: DiscoverExecutor;
};

/** Why an order's signal was aborted: the operator cancelled it, or the agent is stopping. */
export type AbortReason = "cancel" | "shutdown";

export type OrderEnv = {
  config: AgentConfig;
  stateDir: string;
  client: HubClient;
  encryptionKey: CryptoKey;
  executors: Executors;
  log: Logger;
  /** Posts are retried until this aborts (the shutdown grace ran out). */
  retryUntil: AbortSignal;
  /** Checks the hub's signed offer of tapes for an order (verifyTapeOffer with the pinned key). */
  verifyTapeOffer?: (jws: string, orderId: string) => Promise<TapeTarget[]>;
  /** Where vzdump, qmrestore and pct are (guest orders). */
  proxmox?: ProxmoxTools;
  /** Where detect orders read sysfs (tests give a fake tree); unset: /sys. */
  sysRoot?: string;
};

/**
 * Runs one verified order: in-flight record → ack → open drive → execute → result. The record
 * is on disk before the ack, so an agent killed at any later point reports the order
 * interrupted when it starts again; the result stays on disk until the hub has taken it.
 */
export async function runOrder(
  env: OrderEnv,
  claims: OrderClaims,
  controller: AbortController,
  /** The previous order on the same drive; this one opens the drive after it closed it. */
  driveFree: Promise<void>,
): Promise<void> {
  const { body } = claims;
  const orderId = claims.jti;
  const log = env.log.child({ orderId, kind: body.kind, runId: body.runId });
  const record: OrderRecord = {
    orderId,
    kind: body.kind,
    runId: body.runId,
    setUuid: setUuidOf(body),
    startedAt: new Date().toISOString(),
    result: null,
  };
  await writeOrderRecord(env.stateDir, record);
  try {
    await env.client.send("POST", `/orders/${orderId}/ack`, undefined, { retry: retryOpts(env, log, "ack") });
  } catch (error) {
    log.error({ err: (error as Error).message, stage: "ack" }, "order not acknowledged; dropped");
    if (error instanceof HubRefused) await removeOrderRecord(env.stateDir, orderId);
    return;
  }
  log.info({ stage: "execute", drive: drivePathOf(body) }, "order accepted");
  await driveFree;

  const verify = env.verifyTapeOffer;
  const reporter = new HubReporter({
    client: env.client,
    orderId,
    stateDir: env.stateDir,
    log,
    until: env.retryUntil,
    onCancel: () => controller.abort("cancel" satisfies AbortReason),
    ...(verify ? { verifyOffer: (jws: string) => verify(jws, orderId) } : {}),
  });
  const result = await execute(env, claims, controller.signal, reporter, log);
  const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : null;
  const final = adjustForAbort(result, reason);
  log.info({ stage: "report", state: final.state, error: final.error ?? null }, "order finished");
  await deliverAfterReports(env, { ...record, result: final }, reporter, log);
}

/**
 * Sends the result once every report queued before it reached the hub: the hub reconciles the
 * catalog against the result, so a result ahead of its chunks would read as a short catalog. When
 * the hub stays away until the agent stops, result and reports wait on disk for the next start.
 */
export async function deliverAfterReports(
  env: OrderEnv,
  record: OrderRecord,
  reporter: HubReporter,
  log: Logger,
): Promise<boolean> {
  await writeOrderRecord(env.stateDir, record);
  if (!(await reporter.flush())) {
    log.warn({ stage: "report" }, "reports and result kept on disk; sent at next start");
    return false;
  }
  const result =
    reporter.refusal && record.result ? withRefusal(record.result, reporter.refusal) : record.result;
  const delivered = await deliverResult(env, { ...record, result }, log);
  if (delivered) await reporter.discard();
  return delivered;
}

/** A report the hub refused makes the order fail with the hub's words, whatever the executor said. */
function withRefusal(result: OrderResult, refusal: Refusal): OrderResult {
  const words = `the hub refused ${refusal.what} (${refusal.message})`;
  return {
    ...result,
    state: "failed",
    retryable: false,
    error: result.state === "failed" && result.error ? `${result.error}; ${words}` : words,
  };
}

async function execute(
  env: OrderEnv,
  claims: OrderClaims,
  signal: AbortSignal,
  reporter: HubReporter,
  log: Logger,
): Promise<OrderResult> {
  const { body } = claims;
  if (body.kind === "discover") {
    const tokenSecret = await unsealPveToken(env, body);
    if (typeof tokenSecret !== "string")
      return tokenSecret ?? { state: "failed", error: "the order carries no PVE token secret" };
    return (env.executors.discover ?? executeDiscover)(body, { tokenSecret, signal });
  }
  if (body.kind === "detect") return executeDetect(env.config, env.stateDir, env.sysRoot);
  const setup = env.config.drives.find((d) => devicePathOf(d) === body.drive.devicePath);
  if (!setup) return failed(notOnThisAgent(body.drive.devicePath));
  let dataKey: Uint8Array | null = null;
  const encryption = encryptionOf(body);
  if (encryption && encryption.algorithm !== "none") {
    if (!encryption.dataKeyJwe)
      return { state: "failed", error: "the order has no data key", retryable: false };
    try {
      dataKey = (await compactDecrypt(encryption.dataKeyJwe, env.encryptionKey)).plaintext;
    } catch {
      return {
        state: "failed",
        error: "the data key in the order is not sealed to this agent",
        retryable: false,
      };
    }
  }
  let tokenSecret: string | null = null;
  const tokenJwe = pveTokenJweOf(body);
  if (tokenJwe) {
    try {
      tokenSecret = new TextDecoder().decode((await compactDecrypt(tokenJwe, env.encryptionKey)).plaintext);
    } catch {
      return {
        state: "failed",
        error: "the PVE token in the order is not sealed to this agent",
        retryable: false,
      };
    }
  }
  let opened: { drive: Drive; changer: TapeChanger | null; robot: Robot | null };
  try {
    opened = await openOrderDrive(setup, changerOfDrive(env.config.changers, setup), signal);
  } catch (error) {
    return failed(error);
  }
  const ctx: ExecutorContext = {
    drive: opened.drive,
    changer: opened.changer,
    reporter,
    signal,
    workDir: statePaths(env.stateDir).work,
    log: (level, message, fields) => log[level]({ stage: "execute", ...fields }, message),
    ...(env.proxmox ? { pve: { tools: env.proxmox, tokenSecret } } : {}),
  };
  try {
    if (body.kind === "backup" && body.catalogSnapshot)
      return await backUpCatalog(env, claims.jti, body, { ...ctx, dataKey });
    if (body.kind === "backup") return await env.executors.backup(body, { ...ctx, dataKey });
    if (body.kind === "restore") return await env.executors.restore(body, { ...ctx, dataKey });
    if (body.kind === "eject") return await env.executors.eject(body, ctx);
    if (body.kind === "scan") return await env.executors.scan(body, { ...ctx, hub: scanHub(reporter) });
    if (body.kind === "verify") return await env.executors.verify(body, { ...ctx, dataKey });
    if (body.kind === "library")
      return await (env.executors.library ?? executeLibrary)(body, { ...ctx, robot: opened.robot });
    return await env.executors.label(body, ctx);
  } catch (error) {
    return failed(error);
  } finally {
    dataKey?.fill(0);
    await opened.drive
      .close()
      .catch((error: Error) => log.warn({ err: error.message }, "closing the drive failed"));
  }
}

/** The order's PVE token secret (null when it carries none), or the failure to open it. */
async function unsealPveToken(
  env: OrderEnv,
  body: OrderClaims["body"],
): Promise<string | null | OrderResult> {
  const tokenJwe = pveTokenJweOf(body);
  if (!tokenJwe) return null;
  try {
    return new TextDecoder().decode((await compactDecrypt(tokenJwe, env.encryptionKey)).plaintext);
  } catch {
    return {
      state: "failed",
      error: "the PVE token in the order is not sealed to this agent",
      retryable: false,
    };
  }
}

/**
 * A catalog backup: the hub's catalog snapshot, fetched into `tapebackarr-catalog/` of the work
 * dir, is the backup's only source (docs/adr/0013); removed again whatever happens.
 */
async function backUpCatalog(
  env: OrderEnv,
  orderId: string,
  body: BackupOrderBody,
  ctx: ExecutorContext & { dataKey: Uint8Array | null },
): Promise<OrderResult> {
  const dir = join(ctx.workDir, `catalog-${orderId}`, CATALOG_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const bytes = await env.client.download(
      `/orders/${orderId}/catalog-snapshot`,
      join(dir, CATALOG_FILE),
      ctx.signal,
    );
    ctx.log("info", `catalog snapshot: ${bytes} bytes`, { bytes });
    await ctx.reporter.log([
      { level: "info", message: `catalog snapshot fetched: ${bytes} bytes`, at: new Date().toISOString() },
    ]);
    return await env.executors.backup({ ...body, source: { paths: [dir], include: [], exclude: [] } }, ctx);
  } finally {
    await rm(join(ctx.workDir, `catalog-${orderId}`), { recursive: true, force: true });
  }
}

/** The scan executor's questions to the hub, asked in order after everything queued before them. */
function scanHub(reporter: HubReporter): ScanHub {
  return {
    tape: async (report) => ScanTapeAnswer.parse(await reporter.request("scan/tape", report)),
    set: async (report) => ScanSetAnswer.parse(await reporter.request("scan/set", report)),
    segmentDone: async (report) => {
      await reporter.request("scan/segment", report);
    },
  };
}

function failed(error: unknown): OrderResult {
  const retryable = isDriveError(error) && error.recovery === "retry";
  return { state: "failed", error: (error as Error).message ?? String(error), retryable };
}

/** A stop the executor did not itself describe is named for its cause. */
function adjustForAbort(result: OrderResult, reason: AbortReason | null): OrderResult {
  if (!reason || result.state === "completed" || result.state === "completed-with-warnings") return result;
  if (reason === "shutdown")
    return {
      ...result,
      state: "interrupted",
      retryable: true,
      error: result.error ?? "the agent was stopped",
    };
  return { ...result, state: "cancelled", error: result.error ?? "cancelled by an operator" };
}

/** Posts a result kept in the record; a hub that is down keeps it on disk for the next start. */
export async function deliverResult(env: OrderEnv, record: OrderRecord, log: Logger): Promise<boolean> {
  await writeOrderRecord(env.stateDir, record);
  try {
    await env.client.send("POST", `/orders/${record.orderId}/result`, record.result, {
      retry: retryOpts(env, log, "result"),
    });
  } catch (error) {
    if (!(error instanceof HubRefused)) {
      log.warn({ stage: "report", err: (error as Error).message }, "result kept on disk; sent at next start");
      return false;
    }
    log.error({ stage: "report", err: error.message }, "hub refused the result; dropped");
  }
  await removeOrderRecord(env.stateDir, record.orderId);
  log.info({ stage: "report", state: record.result?.state }, "result delivered");
  return true;
}

function retryOpts(env: OrderEnv, log: Logger, stage: string) {
  return {
    until: env.retryUntil,
    onRetry: (error: Error, attempt: number, delayMs: number) =>
      log.warn({ stage, err: error.message, attempt, delayMs }, "hub unreachable; retrying"),
  };
}
