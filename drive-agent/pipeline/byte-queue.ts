/**
 * A bounded in-process buffer between the encoder and the drive writer: what mbuffer does for a
 * real drive, for a drive whose "device" is this process's own code (the vtl), without two extra
 * pipe passes (docs/adr/0002-in-process-buffer-for-the-vtl.md). `push` holds the producer back
 * once `limitBytes` wait; the iterator hands pieces on in order and ends after `end()`.
 */
export class ByteQueue implements AsyncIterable<Buffer> {
  private pieces: Buffer[] = [];
  private head = 0;
  private queued = 0;
  private ended = false;
  private failure: unknown = null;
  private wakeReader: (() => void) | null = null;
  private wakeWriters: Array<() => void> = [];

  constructor(private readonly limitBytes: number) {}

  get bytes(): number {
    return this.queued;
  }

  /** Nothing queued and more to come: the reader would wait (the drive writer's underrun). */
  get empty(): boolean {
    return this.queued === 0 && !this.ended && !this.failure;
  }

  /** Queues pieces; the returned promise (when there is one) resolves once there is room again. */
  push(data: readonly Buffer[]): Promise<void> | undefined {
    if (this.ended || this.failure) return undefined;
    for (const piece of data) {
      if (piece.length === 0) continue;
      this.pieces.push(piece);
      this.queued += piece.length;
    }
    this.notifyReader();
    if (this.queued < this.limitBytes) return undefined;
    return new Promise((resolve) => this.wakeWriters.push(resolve));
  }

  end(): void {
    this.ended = true;
    this.notifyReader();
  }

  /** Ends the queue with an error for the reader and releases any waiting producer. */
  fail(error: unknown): void {
    this.failure ??= error;
    this.pieces = [];
    this.head = 0;
    this.queued = 0;
    this.notifyReader();
    this.notifyWriters();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.head < this.pieces.length) {
        const piece = this.pieces[this.head] as Buffer;
        this.pieces[this.head++] = EMPTY;
        if (this.head > 1024 && this.head * 2 > this.pieces.length) {
          this.pieces = this.pieces.slice(this.head);
          this.head = 0;
        }
        this.queued -= piece.length;
        if (this.queued < this.limitBytes / 2) this.notifyWriters();
        yield piece;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private notifyReader(): void {
    const wake = this.wakeReader;
    this.wakeReader = null;
    wake?.();
  }

  private notifyWriters(): void {
    const waiters = this.wakeWriters;
    this.wakeWriters = [];
    for (const w of waiters) w();
  }
}

const EMPTY = Buffer.alloc(0);
