import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import {
  MAX_LOG_LINES_PER_REPORT,
  MAX_REPORT_BYTES,
  MAX_RESTORE_RESULTS_PER_REPORT,
  ProgressAnswer,
  type TapeTarget,
} from "../../contracts/agent-protocol.ts";
import type { OrderReporter } from "../orders/types.ts";
import { chunkJson } from "../pipeline/catalog-batch.ts";
import { type HubClient, HubRefused, sleep } from "./hub-client.ts";
import { statePaths, writePrivateFile } from "./state-dir.ts";

type Queued = { file: string; path: string; what: string; bytes: number };

/** A report the hub refused for good (4xx): the order's result says so instead of "completed". */
export type Refusal = { what: string; status: number; message: string };

/** Beyond this much unsent on disk the executor waits: a long outage cannot fill the disk. */
const MAX_OUTBOX_BYTES = 512 << 20;
const PROGRESS_TIMEOUT_MS = 10_000;
const REFUSAL_FILE = "refusal.json";
/** Room for a batch's envelope (`{"seq":…,"lines":[…]}`) within MAX_REPORT_BYTES. */
const ENVELOPE_BYTES = 256;

/**
 * The runtime side of OrderReporter. Catalog chunks, segments, log lines and restore results go
 * through the order's outbox on disk (state dir, outbox/<order>/): written there first, then sent
 * in order, each retried with backoff while the hub is unreachable or answers 5xx/429, and deleted
 * once the hub took it (every such post is idempotent at the hub). What an agent stop leaves there
 * is sent by the next start before the order's result. A report the hub refuses (4xx) is recorded
 * as the order's refusal, never just logged. Progress is sent at once and not kept: the next
 * report, ≤ 2 s later, supersedes it.
 */
export class HubReporter implements OrderReporter {
  private seq = 0;
  private control: ProgressAnswer["control"] = "continue";
  private offered: TapeTarget[] = [];
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private sending: Promise<void> | null = null;
  private wake: (() => void)[] = [];
  private readonly dir: string;
  private dirMade = false;
  refusal: Refusal | null = null;

  constructor(
    private readonly opts: {
      client: HubClient;
      orderId: string;
      stateDir: string;
      log: Logger;
      /** Retries stop when this aborts (the shutdown grace period ran out). */
      until: AbortSignal;
      onCancel: () => void;
      /** Verifies the hub's signed offer of tapes (verifyTapeOffer); without it, none is taken. */
      verifyOffer?: (jws: string) => Promise<TapeTarget[]>;
    },
  ) {
    this.dir = statePaths(opts.stateDir).outbox(opts.orderId);
  }

  /**
   * The hub ignores a report whose seq is not above the run's last one; a wall-clock floor keeps
   * that true when a run's order is reissued to a restarted agent whose counter began again, and
   * keeps outbox file names unique and in order across restarts.
   */
  private nextSeq(): number {
    this.seq = Math.max(this.seq + 1, Date.now());
    return this.seq;
  }

  /** Queues again, in their order, the reports an earlier run of the agent left for this order. */
  async resume(): Promise<number> {
    const names = (await readdir(this.dir).catch(() => [] as string[]))
      .filter((name) => /^\d{16}\.json$/.test(name))
      .sort();
    for (const name of names) {
      const file = join(this.dir, name);
      const text = await readFile(file, "utf8").catch(() => null);
      const cut = text?.indexOf("\n") ?? -1;
      if (text === null || cut < 0) {
        // Not sendable: the hub's reconciliation will find what it held short and say so.
        this.opts.log.error({ stage: "recover", file }, "a report left on disk cannot be read; skipped");
        continue;
      }
      const meta = JSON.parse(text.slice(0, cut)) as { path: string; what: string };
      this.seq = Math.max(this.seq, Number(name.slice(0, 16)));
      this.push({ file, path: meta.path, what: meta.what, bytes: text.length - cut - 1 });
    }
    const refusal = await readFile(join(this.dir, REFUSAL_FILE), "utf8").catch(() => null);
    if (refusal !== null) this.refusal = JSON.parse(refusal) as Refusal;
    this.dirMade = names.length > 0 || refusal !== null;
    if (names.length > 0) this.startDrain();
    return names.length;
  }

  async progress(report: Parameters<OrderReporter["progress"]>[0]) {
    try {
      const answer = await this.opts.client.send(
        "POST",
        `/orders/${this.opts.orderId}/progress`,
        { ...report, seq: this.nextSeq() },
        { timeoutMs: PROGRESS_TIMEOUT_MS, signal: this.opts.until },
      );
      const parsed = ProgressAnswer.safeParse(answer.json);
      const control = parsed.success ? parsed.data.control : "continue";
      this.offered = await this.tapesOffered(parsed.success ? parsed.data.tapeOffer : undefined);
      if (control !== this.control)
        this.opts.log.info({ control, stage: "report" }, "operator control changed");
      this.control = control;
      if (control === "cancel") this.opts.onCancel();
    } catch (error) {
      this.opts.log.debug({ err: (error as Error).message, stage: "report" }, "progress not delivered");
    }
    return this.control;
  }

  offeredTapes(): readonly TapeTarget[] {
    return this.offered;
  }

  // The tapes in an offer are what a waiting backup may write to: taken only with the hub's signature.
  private async tapesOffered(jws: string | undefined): Promise<TapeTarget[]> {
    if (!jws || !this.opts.verifyOffer) return [];
    try {
      return await this.opts.verifyOffer(jws);
    } catch (error) {
      this.opts.log.warn({ err: (error as Error).message, stage: "report" }, "refused the hub's tape offer");
      return [];
    }
  }

  catalogChunk(chunk: Parameters<OrderReporter["catalogChunk"]>[0]) {
    // The batcher's own JSON of the chunk (the same bytes): its entries are not decoded to be re-encoded.
    return this.enqueue("catalog", `catalog chunk ${chunk.seq}`, () => chunk, true, chunkJson);
  }

  segment(segment: Parameters<OrderReporter["segment"]>[0]) {
    return this.enqueue("segments", `segment ${segment.sequence}`, (seq) => ({ ...segment, seq }));
  }

  async log(lines: Parameters<OrderReporter["log"]>[0]) {
    for (const batch of splitByBytes(lines, MAX_LOG_LINES_PER_REPORT))
      await this.enqueue("logs", `${batch.length} log line(s)`, (seq) => ({ seq, lines: batch }));
  }

  async fileResults(batch: Parameters<OrderReporter["fileResults"]>[0]) {
    for (const files of splitByBytes(batch.files, MAX_RESTORE_RESULTS_PER_REPORT))
      await this.enqueue("restore-files", `${files.length} restore result(s)`, () => ({ files }));
  }

  /**
   * Posts once everything queued before it has reached the hub, retried like the queue, and
   * returns the hub's answer: for the few posts whose answer the executor needs (scan orders).
   */
  async request(path: string, body: unknown): Promise<unknown> {
    if (!(await this.flush())) throw new Error(`the hub did not take the reports queued before ${path}`);
    const answer = await this.opts.client.send("POST", `/orders/${this.opts.orderId}/${path}`, body, {
      retry: this.retry(path),
    });
    return answer.json;
  }

  /** Resolves once everything queued reached the hub (true), or retries were given up (false). */
  async flush(): Promise<boolean> {
    while (this.queue.length > 0 && !this.opts.until.aborted) {
      this.startDrain();
      await Promise.race([this.sending, sleep(60_000, this.opts.until)]);
    }
    for (const resolve of this.wake.splice(0)) resolve();
    return this.queue.length === 0;
  }

  /** Removes the order's outbox (its refusal, if any, went out with the result) once it is delivered. */
  async discard(): Promise<void> {
    if (this.queue.length === 0) await rm(this.dir, { recursive: true, force: true });
  }

  /** Written to disk before it resolves: from then on the report survives an agent restart. */
  private async enqueue<T>(
    path: string,
    what: string,
    body: (seq: number) => T,
    wait = true,
    encode: (value: T) => string = JSON.stringify,
  ): Promise<void> {
    while (wait && this.queuedBytes > MAX_OUTBOX_BYTES && !this.opts.until.aborted) {
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    if (!this.dirMade) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.dirMade = true;
    }
    const seq = this.nextSeq();
    const json = encode(body(seq));
    const file = join(this.dir, `${String(seq).padStart(16, "0")}.json`);
    await writePrivateFile(file, `${JSON.stringify({ path, what })}\n${json}`);
    this.push({ file, path, what, bytes: json.length });
    this.startDrain();
  }

  private push(item: Queued): void {
    this.queue.push(item);
    this.queuedBytes += item.bytes;
  }

  private startDrain(): void {
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue[0] as Queued;
      const text = await readFile(item.file, "utf8");
      try {
        await this.opts.client.sendJson(
          "POST",
          `/orders/${this.opts.orderId}/${item.path}`,
          text.slice(text.indexOf("\n") + 1),
          { retry: this.retry(item.what) },
        );
      } catch (error) {
        if (!(error instanceof HubRefused)) return; // gave up at shutdown: it stays on disk for the next start
        await this.refused(item, error);
      }
      await rm(item.file, { force: true });
      this.queue.shift();
      this.queuedBytes -= item.bytes;
      for (const resolve of this.wake.splice(0)) resolve();
    }
  }

  private async refused(item: Queued, error: HubRefused): Promise<void> {
    this.opts.log.error(
      { err: error.message, stage: "report", status: error.status },
      `hub refused ${item.what}`,
    );
    if (!this.refusal) {
      this.refusal = { what: item.what, status: error.status, message: error.message };
      // Kept beside the reports, so a restart before the result went out still reports it.
      await writePrivateFile(join(this.dir, REFUSAL_FILE), JSON.stringify(this.refusal));
    }
    // The run's log says so too, unless it was log lines the hub refused (the drain must not wait).
    if (item.path === "logs") return;
    const line = { at: new Date().toISOString(), level: "error" as const, message: `${error.message}` };
    await this.enqueue("logs", "1 log line(s)", (seq) => ({ seq, lines: [line] }), false);
  }

  private retry(what: string) {
    return {
      until: this.opts.until,
      onRetry: (error: Error, attempt: number, delayMs: number) => {
        if (attempt === 1 || attempt % 10 === 0)
          this.opts.log.warn(
            { err: error.message, attempt, delayMs, stage: "report" },
            `hub unreachable; will resend ${what}`,
          );
      },
    };
  }
}

/** Cuts a batch so that each part holds at most `maxItems` and encodes within MAX_REPORT_BYTES. */
export function splitByBytes<T>(items: T[], maxItems: number): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (part.length > 0 && (part.length >= maxItems || bytes + size > MAX_REPORT_BYTES)) {
      parts.push(part);
      part = [];
      bytes = ENVELOPE_BYTES;
    }
    part.push(item);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
