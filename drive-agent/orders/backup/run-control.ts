import type { LogLines, ProgressReport, TapeTarget } from "../../../contracts/agent-protocol.ts";
import type { OrderReporter } from "../types.ts";

export type StopReason = "cancelled" | "interrupted";
export type RunState = ProgressReport["state"];

/** Thrown out of a wait (a tape change) when the operator cancels or the agent stops. */
export class StopRequested extends Error {
  constructor(readonly reason: StopReason) {
    super(`backup ${reason}`);
    this.name = "StopRequested";
  }
}

type Snapshot = Omit<ProgressReport, "seq" | "state" | "message" | "rateBytesPerSec" | "etaSeconds">;

/**
 * The run's link to the operator: a progress report every interval (never from the data path),
 * the hub's answer turned into pause / resume / stop, and job-log lines sent in batches.
 */
export class RunControl {
  state: RunState = "running";
  message: string | null = null;
  stopReason: StopReason | null = null;
  private paused = false;
  private resumeWaiters: Array<() => void> = [];
  private stopListeners: Array<(reason: StopReason) => void> = [];
  private logs: LogLines["lines"] = [];
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private last = { at: 0, bytes: 0 };
  warnings = 0;

  constructor(
    private readonly reporter: OrderReporter,
    private readonly snapshot: () => Snapshot,
    private readonly intervalMs: number,
    private readonly log: (level: "warn", message: string, fields?: Record<string, unknown>) => void,
  ) {}

  start(): void {
    const loop = () => {
      this.timer = setTimeout(() => {
        this.ticking = this.tick().finally(() => {
          if (this.timer) loop();
        });
      }, this.intervalMs);
    };
    loop();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    await this.flushLogs();
  }

  /** Sends one report now and applies the answer (also the first report, before any data moves). */
  async tick(): Promise<void> {
    const snap = this.snapshot();
    const now = performance.now();
    const seconds = (now - this.last.at) / 1000;
    const rate =
      this.last.at > 0 && seconds > 0 ? Math.max(0, (snap.bytesDone - this.last.bytes) / seconds) : null;
    this.last = { at: now, bytes: snap.bytesDone };
    const eta =
      rate && snap.bytesTotal !== null && snap.bytesTotal > snap.bytesDone
        ? Math.round((snap.bytesTotal - snap.bytesDone) / rate)
        : null;
    const state = this.paused && this.state === "running" ? "paused" : this.state;
    await this.flushLogs();
    const control = await this.reporter
      .progress({ ...snap, state, message: this.message, rateBytesPerSec: rate, etaSeconds: eta })
      .catch((error: unknown) => {
        this.log("warn", "progress report failed", { error: String(error) });
        return "continue" as const;
      });
    if (control === "cancel") this.requestStop("cancelled");
    else if (control === "pause" && !this.paused && this.stopReason === null) {
      this.paused = true;
      this.addLog("info", "paused by the operator", null);
    } else if (control === "continue" && this.paused) this.resume();
  }

  /** What the hub offered in its last answer while the run waits for a tape. */
  offeredTapes(): readonly TapeTarget[] {
    return this.reporter.offeredTapes?.() ?? [];
  }

  requestStop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.addLog(
      "warn",
      reason === "cancelled" ? "cancelled by the operator" : "agent stopping: run interrupted",
      null,
    );
    this.resume();
    for (const listener of this.stopListeners.splice(0)) listener(reason);
  }

  onStop(listener: (reason: StopReason) => void): void {
    if (this.stopReason) listener(this.stopReason);
    else this.stopListeners.push(listener);
  }

  /** Resolves at once unless paused; the drive writer waits here, so tar waits on backpressure. */
  whenRunning(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    return new Promise((resolve) => this.resumeWaiters.push(resolve));
  }

  /** Sleeps, but wakes and throws when a stop is requested. */
  async wait(ms: number): Promise<void> {
    if (this.stopReason) throw new StopRequested(this.stopReason);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.onStop(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.stopReason) throw new StopRequested(this.stopReason);
  }

  addLog(level: "debug" | "info" | "warn" | "error", message: string, path: string | null): void {
    if (level === "warn") this.warnings++;
    this.logs.push({ at: new Date().toISOString(), level, message: message.slice(0, 4000), path });
  }

  async flushLogs(): Promise<void> {
    while (this.logs.length > 0) {
      const lines = this.logs.splice(0, 1000);
      await this.reporter.log(lines).catch((error: unknown) => {
        this.log("warn", "job log post failed", { error: String(error) });
      });
    }
  }

  private resume(): void {
    if (this.paused) this.addLog("info", "resumed", null);
    this.paused = false;
    for (const resolve of this.resumeWaiters.splice(0)) resolve();
  }
}
