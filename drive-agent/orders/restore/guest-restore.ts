import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, realpath, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { OrderResult, RestoreOrderBody } from "../../../contracts/agent-protocol.ts";
import type { GuestRestoreSpec } from "../../../contracts/proxmox.ts";
import { bytesInWords } from "../../../contracts/units.ts";
import type { ProxmoxTools } from "../../config.ts";
import { spawnStreaming } from "../../exec.ts";
import { PveClient, PveError } from "../../proxmox/pve-client.ts";
import type { ExecutorContext } from "../types.ts";
import { OrderSegmentSource } from "./order-segment-source.ts";
import { missingKey, ReadProgress, shapeOf } from "./read-progress.ts";
import { restoreSet } from "./restore-set.ts";

type Ctx = ExecutorContext & { dataKey: Uint8Array | null };

/** `qmrestore - <vmid> …` / `pct restore <vmid> - …`: the archive on stdin ("-"). */
export function guestRestoreArgv(tools: ProxmoxTools, spec: GuestRestoreSpec): [string, ...string[]] {
  const opts = [
    ...(spec.storage ? ["--storage", spec.storage] : []),
    ...(spec.overwrite ? ["--force", "1"] : []),
    // A copy beside the original must not share its MAC addresses.
    ...(spec.vmid !== spec.fromVmid ? ["--unique", "1"] : []),
  ];
  return spec.type === "qemu"
    ? [tools.qmrestore, "-", String(spec.vmid), ...opts]
    : [tools.pct, "restore", String(spec.vmid), "-", ...opts];
}

/**
 * Why the guest must not be restored over, or null: PVE answers for an id that does not exist
 * with an error; an existing one needs `overwrite`, and a running one is refused whatever it says.
 */
export async function refuseExistingGuest(client: PveClient, node: string, spec: GuestRestoreSpec) {
  let status: { status?: string } | null = null;
  try {
    status = await client.get<{ status?: string }>(
      `/nodes/${encodeURIComponent(node)}/${spec.type}/${spec.vmid}/status/current`,
    );
  } catch (error) {
    if (error instanceof PveError && error.code === "not-found") return null;
    throw error;
  }
  const what = `${spec.type === "qemu" ? "VM" : "container"} ${spec.vmid} on ${node}`;
  if (status?.status === "running")
    return `${what} is running; stop it first (a running guest is never restored over)`;
  if (!spec.overwrite)
    return `${what} already exists; restore as a new id, or allow overwriting the existing guest`;
  return null;
}

/**
 * A guest restore: the archive's parts, read from tape in order and checked part by part, go as
 * one stream into qmrestore / pct restore on this node (or into one file); nothing is spooled.
 */
export async function runGuestRestore(
  order: RestoreOrderBody,
  spec: GuestRestoreSpec,
  ctx: Ctx,
  tuning: { progressIntervalMs: number; tapePollMs: number },
): Promise<OrderResult> {
  const part = { set: order.set, files: order.files, tapes: order.tapes };
  const refused = missingKey(part, ctx.dataKey);
  if (refused) return { state: "failed", error: refused };
  if (order.files.length === 0) return { state: "failed", error: "the order names no part of the archive" };
  const tools = ctx.pve?.tools;
  if (!tools) return { state: "failed", error: "this agent has no Proxmox tools configured" };
  const expectedBytes = order.files.reduce((sum, f) => sum + f.size, 0);
  const progress = new ReadProgress(
    ctx,
    () => order.files.length,
    () => expectedBytes,
  );
  const { stop, tick, stats, report } = progress;
  const say = (level: "info" | "warn" | "error", message: string) =>
    ctx.reporter.log([{ at: new Date().toISOString(), level, message, path: null }]);

  let sink: { stream: Writable; done: () => Promise<string | null>; abort: () => Promise<void> };
  let where: string;
  if (spec.target === "pve") {
    if (!spec.pve || !ctx.pve?.tokenSecret)
      return { state: "failed", error: "the order carries no PVE access" };
    const client = new PveClient({
      apiUrl: spec.pve.apiUrl,
      tokenId: spec.pve.tokenId,
      tokenSecret: ctx.pve.tokenSecret,
      fingerprint: spec.pve.fingerprint,
    });
    try {
      const no = await refuseExistingGuest(client, spec.pve.node, spec);
      if (no) return { state: "failed", error: no, retryable: false };
    } catch (error) {
      return { state: "failed", error: (error as Error).message, retryable: false };
    }
    const argv = guestRestoreArgv(tools, spec);
    where = `${spec.type === "qemu" ? "qmrestore" : "pct restore"} as ${spec.vmid} on ${spec.pve.node}`;
    const child = spawnStreaming({ argv, stdin: "pipe", stdout: "ignore" });
    const stdin = child.stdin as Writable;
    stdin.on("error", () => undefined);
    sink = {
      stream: stdin,
      done: async () => {
        stdin.end();
        const r = await child;
        return r.exitCode === 0
          ? null
          : `${argv[0]} exited ${r.exitCode ?? r.signal}: ${String(r.stderr).trim().split("\n").slice(-3).join(" | ")}`;
      },
      abort: async () => {
        child.kill();
        await child.catch(() => undefined);
      },
    };
  } else {
    await mkdir(order.destination, { recursive: true });
    const dir = await realpath(order.destination);
    const target = join(dir, spec.archiveName);
    if (!spec.overwrite && (await stat(target).catch(() => null)))
      return { state: "failed", error: `${target} exists; allow overwriting or choose another directory` };
    const temp = `${target}.partial`;
    const file = createWriteStream(temp, { flags: "w", mode: 0o600 });
    where = target;
    sink = {
      stream: file,
      done: async () => {
        file.end();
        await once(file, "close");
        await rename(temp, target);
        return null;
      },
      abort: async () => {
        file.destroy();
        await rm(temp, { force: true });
      },
    };
  }

  const whole = createHash("sha256");
  let written = 0;
  const failures: string[] = [];
  try {
    await progress.start(tuning.progressIntervalMs);
    const source = new OrderSegmentSource(part, ctx, tick, {
      pollMs: tuning.tapePollMs,
      signal: stop.signal,
      report,
      purpose: "restore",
      fullToc: false,
    });
    const done = await restoreSet({
      source,
      shape: shapeOf(part, ctx.dataKey),
      selection: order.files.map((f) => ({
        path: f.path,
        offset: f.offset,
        sha256: f.sha256,
        size: f.size,
        segment: f.segment,
      })),
      destination: null,
      overwrite: "skip",
      owners: false,
      signal: stop.signal,
      onContent: async (data) => {
        if (failures.length > 0) return;
        whole.update(data);
        written += data.length;
        stats.bytes = written;
        if (!sink.stream.write(data))
          await once(sink.stream, "drain", { signal: stop.signal }).catch(() => undefined);
      },
      onFile: (file) => {
        progress.file(file.path);
        if (file.outcome === "failed") failures.push(`${file.path}: ${file.error}`);
      },
    });
    failures.push(...done.errors);
    const sha256 = whole.digest("hex");
    if (failures.length === 0 && written !== expectedBytes)
      failures.push(`read ${written} of the archive's ${expectedBytes} bytes`);
    if (failures.length === 0 && spec.sha256 && sha256 !== spec.sha256)
      failures.push(`the archive read back has sha256 ${sha256}, not the ${spec.sha256} the backup recorded`);
    if (stop.signal.aborted || failures.length > 0) {
      await sink.abort();
      if (stop.signal.aborted) return { state: "cancelled", error: `cancelled: ${where} stopped` };
      const error = `guest ${spec.fromVmid} not restored (${where}): ${failures.slice(0, 5).join("; ")}`;
      await say("error", error);
      return { state: "failed", error: error.slice(0, 4000), retryable: false };
    }
    const problem = await sink.done();
    await progress.settle();
    await report();
    if (problem) {
      await say("error", problem);
      return { state: "failed", error: problem.slice(0, 4000), retryable: false };
    }
    await say(
      "info",
      `guest ${spec.fromVmid}: ${bytesInWords(written)} read from tape into ${where} (sha256 ${sha256})`,
    );
    return { state: "completed", summary: { files: 1, sourceBytes: written, warnings: 0 } };
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    await progress.close();
  }
}
