import { once } from "node:events";
import { closeSync, openSync, readSync, writeSync } from "node:fs";

/** What the feeder reads from the spool per write into tar's stdin. */
const FEED_BYTES = 256 << 10;

/**
 * tar's member list (NUL-terminated names) between the walk and tar's stdin, on disk. The walk
 * appends as fast as it lists and is never held back by tar, so it ends early and its totals are
 * the run's real ones long before tar has read the tree: no second, stat-only walk is needed for
 * the progress figures (docs/adr/0028). Memory stays flat however far the walk runs ahead.
 */
export class NameSpool {
  private readonly fd: number;
  private written = 0;
  private ended = false;
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w+");
  }

  /** Appends names already joined with their NUL terminators. */
  append(names: string): void {
    if (names === "" || this.closed) return;
    const data = Buffer.from(names, "utf8");
    let done = 0;
    while (done < data.length)
      done += writeSync(this.fd, data, done, data.length - done, this.written + done);
    this.written += data.length;
    this.notify();
  }

  /** The walk is done: the feeder ends tar's stdin once it has passed everything on. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /**
   * Copies the spool into `sink` in order, waiting for the walk when it has caught up and for
   * `sink` to drain when it is full; resolves once the walk has ended and all is passed on, or
   * as soon as `signal` aborts (a stopped run).
   */
  async feed(
    sink: NodeJS.WritableStream & { writableNeedDrain: boolean },
    signal: AbortSignal,
  ): Promise<void> {
    let pos = 0;
    const stop = () => this.notify();
    signal.addEventListener("abort", stop);
    try {
      while (!signal.aborted) {
        if (pos < this.written) {
          const piece = Buffer.allocUnsafe(Math.min(FEED_BYTES, this.written - pos));
          const got = readSync(this.fd, piece, 0, piece.length, pos);
          pos += got;
          if (!sink.write(piece.subarray(0, got)) && !signal.aborted)
            // A stop ends the wait; tar's stdin failing (tar gone) fails the feed, and so the run.
            await once(sink, "drain", { signal }).catch((error: unknown) => {
              if (!signal.aborted) throw error;
            });
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
