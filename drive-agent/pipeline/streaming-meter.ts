import type { StreamingHealth } from "../../contracts/agent-protocol.ts";

/**
 * Counts what a drive feels of its source: each time the drive writer, after its first write,
 * finds the buffer in front of the drive empty and has to wait, and for how long. Waiting before
 * the first write is the buffer filling, not the drive stopping, so it does not count.
 */
export class StreamingMeter {
  private waits = 0;
  private waitedMs = 0;
  /** Bytes written after the first write: what the source fed while the drive ran. */
  private bytes = 0;
  private firstWriteAt: number | null = null;
  private lastWriteAt: number | null = null;

  /** `minBytesPerSec`: the slowest feed the drive streams at (null: none known). */
  constructor(
    private readonly minBytesPerSec: number | null,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The writer must wait for data: returns the call that ends the wait. */
  waitStarted(): () => void {
    if (this.firstWriteAt === null) return () => undefined;
    const from = this.now();
    this.waits++;
    return () => {
      this.waitedMs += this.now() - from;
    };
  }

  /** A write reached the drive. */
  wrote(bytes: number): void {
    const at = this.now();
    if (this.firstWriteAt === null) this.firstWriteAt = at;
    else this.bytes += bytes;
    this.lastWriteAt = at;
  }

  /** Null until the first write. The feed rate is what came after the first write over the time to the last. */
  snapshot(): StreamingHealth | null {
    if (this.firstWriteAt === null || this.lastWriteAt === null) return null;
    const seconds = (this.lastWriteAt - this.firstWriteAt) / 1000;
    return {
      waits: this.waits,
      waitedMs: Math.round(this.waitedMs),
      bytes: this.bytes,
      feedBytesPerSec: seconds > 0 ? this.bytes / seconds : null,
      minBytesPerSec: this.minBytesPerSec,
    };
  }
}
