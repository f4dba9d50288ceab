import type { RestoreOrderBody, VerifyOrderBody } from "../../../contracts/agent-protocol.ts";
import type { ExecutorContext } from "../types.ts";
import type { Tick } from "./order-segment-source.ts";
import type { SetShape } from "./set-reader.ts";

type SetOrder = Pick<RestoreOrderBody | VerifyOrderBody, "set">;

/** Why an order that reads a set cannot start, or null: an encrypted set needs its data key. */
export function missingKey(order: SetOrder, dataKey: Uint8Array | null): string | null {
  return order.set.encryption.algorithm !== "none" && !dataKey
    ? "the set is encrypted and the order has no data key"
    : null;
}

/** How the set was written, as the reader needs it. */
export function shapeOf(order: SetOrder, dataKey: Uint8Array | null): SetShape {
  return {
    uuid: order.set.uuid,
    compression: order.set.compression,
    key: order.set.encryption.algorithm !== "none" ? dataKey : null,
    blockSize: order.set.blockSize,
  };
}

/**
 * The progress of an order that reads a set back (restore, verify): what it has read, reported
 * to the hub every interval and on demand, and the operator's cancel — from the hub's answer or
 * the agent stopping — turned into one abort signal for the reader.
 */
export class ReadProgress {
  readonly stop = new AbortController();
  readonly tick: Tick = { state: "running", message: null, tape: null };
  readonly stats = { bytes: 0, files: 0, current: null as string | null };
  private ticking: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly onAbort = () => this.stop.abort();

  constructor(
    private readonly ctx: ExecutorContext,
    /** Files the order expects, when known. */
    private readonly filesTotal: () => number | null,
    /** Bytes the order expects to read or write, when known. */
    private readonly bytesTotal: () => number | null = () => null,
  ) {
    ctx.signal.addEventListener("abort", this.onAbort);
  }

  readonly report = async (): Promise<void> => {
    const control = await this.ctx.reporter
      .progress({
        state: this.tick.state,
        bytesDone: this.stats.bytes,
        bytesTotal: this.bytesTotal(),
        filesDone: this.stats.files,
        filesTotal: this.filesTotal(),
        currentPath: this.stats.current,
        rateBytesPerSec: null,
        etaSeconds: null,
        tapeBarcode: this.tick.tape,
        message: this.tick.message,
      })
      .catch(() => "continue" as const);
    if (control === "cancel") this.stop.abort();
  };

  /** Reports now, then every `intervalMs` until `settle`. */
  start(intervalMs: number): Promise<void> {
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(this.report);
    }, intervalMs);
    return this.report();
  }

  /** Counts one file read and names it as the current one. */
  file(path: string): void {
    this.stats.files++;
    this.stats.current = path;
  }

  /** Stops the periodic reports and waits for the one in flight. */
  async settle(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }

  async close(): Promise<void> {
    await this.settle();
    this.ctx.signal.removeEventListener("abort", this.onAbort);
  }
}
