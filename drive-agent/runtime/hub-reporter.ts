import type { Logger } from "pino";
import type { ProgressAnswer } from "../../contracts/agent-protocol.ts";
import type { OrderReporter } from "../orders/types.ts";
import { type HubClient, HubRefused, sleep } from "./hub-client.ts";

type Queued = { path: string; body: unknown; what: string };

/** Reports waiting beyond this make the executor wait too: memory stays bounded in a long outage. */
const MAX_QUEUED = 32;
const PROGRESS_TIMEOUT_MS = 10_000;

/**
 * The runtime side of OrderReporter. Catalog chunks, segments and log lines are queued and
 * sent in order, each retried until the hub takes it (all idempotent at the hub). Progress is
 * sent at once and not retried: the next report, ≤ 2 s later, supersedes it anyway.
 */
export class HubReporter implements OrderReporter {
  private seq = 0;
  private control: ProgressAnswer["control"] = "continue";
  private readonly queue: Queued[] = [];
  private sending: Promise<void> | null = null;
  private wake: (() => void)[] = [];

  constructor(
    private readonly opts: {
      client: HubClient;
      orderId: string;
      log: Logger;
      /** Retries stop when this aborts (the shutdown grace period ran out). */
      until: AbortSignal;
      onCancel: () => void;
    },
  ) {}

  /**
   * The hub ignores a report whose seq is not above the run's last one; a wall-clock floor keeps
   * that true when a run's order is reissued to a restarted agent whose counter began again.
   */
  private nextSeq(): number {
    this.seq = Math.max(this.seq + 1, Date.now());
    return this.seq;
  }

  async progress(report: Parameters<OrderReporter["progress"]>[0]) {
    try {
      const answer = await this.opts.client.send(
        "POST",
        `/orders/${this.opts.orderId}/progress`,
        { ...report, seq: this.nextSeq() },
        { timeoutMs: PROGRESS_TIMEOUT_MS, signal: this.opts.until },
      );
      const control = (answer.json as ProgressAnswer | null)?.control ?? "continue";
      if (control !== this.control)
        this.opts.log.info({ control, stage: "report" }, "operator control changed");
      this.control = control;
      if (control === "cancel") this.opts.onCancel();
    } catch (error) {
      this.opts.log.debug({ err: (error as Error).message, stage: "report" }, "progress not delivered");
    }
    return this.control;
  }

  catalogChunk(chunk: Parameters<OrderReporter["catalogChunk"]>[0]) {
    return this.enqueue({ path: "catalog", body: chunk, what: `catalog chunk ${chunk.seq}` });
  }

  segment(segment: Parameters<OrderReporter["segment"]>[0]) {
    return this.enqueue({ path: "segments", body: segment, what: `segment ${segment.sequence}` });
  }

  log(lines: Parameters<OrderReporter["log"]>[0]) {
    if (lines.length === 0) return Promise.resolve();
    return this.enqueue({ path: "logs", body: { lines }, what: `${lines.length} log line(s)` });
  }

  fileResults(batch: Parameters<OrderReporter["fileResults"]>[0]) {
    if (batch.files.length === 0) return Promise.resolve();
    return this.enqueue({
      path: "restore-files",
      body: batch,
      what: `${batch.files.length} restore result(s)`,
    });
  }

  /**
   * Posts once everything queued before it has reached the hub, retried like the queue, and
   * returns the hub's answer: for the few posts whose answer the executor needs (scan orders).
   */
  async request(path: string, body: unknown): Promise<unknown> {
    if (!(await this.flush())) throw new Error(`the hub did not take the reports queued before ${path}`);
    const answer = await this.opts.client.send("POST", `/orders/${this.opts.orderId}/${path}`, body, {
      retry: {
        until: this.opts.until,
        onRetry: (error, attempt, delayMs) =>
          this.opts.log.warn(
            { err: error.message, attempt, delayMs, stage: "report" },
            `hub unreachable; will resend ${path}`,
          ),
      },
    });
    return answer.json;
  }

  private async enqueue(item: Queued): Promise<void> {
    while (this.queue.length >= MAX_QUEUED && !this.opts.until.aborted) {
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    this.queue.push(item);
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue[0] as Queued;
      try {
        await this.opts.client.send("POST", `/orders/${this.opts.orderId}/${item.path}`, item.body, {
          retry: {
            until: this.opts.until,
            onRetry: (error, attempt, delayMs) =>
              this.opts.log.warn(
                { err: error.message, attempt, delayMs, stage: "report" },
                `hub unreachable; will resend ${item.what}`,
              ),
          },
        });
      } catch (error) {
        if (!(error instanceof HubRefused)) return; // gave up at shutdown: the result says interrupted
        this.opts.log.error({ err: error.message, stage: "report" }, `hub refused ${item.what}; dropped`);
      }
      this.queue.shift();
      for (const resolve of this.wake.splice(0)) resolve();
    }
  }

  /** Resolves once everything queued reached the hub (true), or retries were given up (false). */
  async flush(): Promise<boolean> {
    while (this.queue.length > 0 && !this.opts.until.aborted) {
      this.sending ??= this.drain().finally(() => {
        this.sending = null;
      });
      await Promise.race([this.sending, sleep(60_000, this.opts.until)]);
    }
    for (const resolve of this.wake.splice(0)) resolve();
    return this.queue.length === 0;
  }
}
