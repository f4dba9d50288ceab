import { closeSync, openSync, readSync, writeSync } from "node:fs";

const FLUSH_BYTES = 256 << 10;

/**
 * An append-only file of lines (a segment's TOC entries, its chunk index, members waiting for
 * the drive), written in 256 KiB batches and read back in order in whole lines.
 */
export class LineSpool {
  private readonly fd: number;
  /**
   * Lines are encoded into this buffer as they come, so no line's string outlives its add (a
   * million buffered strings would survive the young generation's collections and be copied).
   */
  private readonly buffer = Buffer.allocUnsafe(FLUSH_BYTES);
  private bufferBytes = 0;
  /** Bytes on disk; lines still in the buffer are not counted until flushed. */
  written = 0;
  count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w+");
  }

  /** Appends one line; `line` must not contain a newline. */
  add(line: string): void {
    this.count++;
    // UTF-8 takes at most 3 bytes per UTF-16 unit, and the newline one more.
    if (this.bufferBytes + line.length * 3 + 1 > FLUSH_BYTES) {
      this.flush();
      if (line.length * 3 + 1 > FLUSH_BYTES) {
        this.writeOut(Buffer.from(`${line}\n`, "utf8"));
        return;
      }
    }
    this.bufferBytes += this.buffer.write(line, this.bufferBytes);
    this.buffer[this.bufferBytes++] = 10;
  }

  flush(): void {
    if (this.bufferBytes === 0) return;
    const bytes = this.bufferBytes;
    this.bufferBytes = 0;
    this.writeOut(this.buffer.subarray(0, bytes));
  }

  private writeOut(data: Buffer): void {
    let done = 0;
    while (done < data.length)
      done += writeSync(this.fd, data, done, data.length - done, this.written + done);
    this.written += data.length;
  }

  /**
   * The whole lines in up to `maxBytes` from byte `pos` (without their newlines) and the
   * position after the last of them; a line cut by the limit is read again by the next call.
   */
  readLines(pos: number, maxBytes: number): { lines: string[]; next: number } {
    if (pos >= this.written) this.flush();
    if (pos >= this.written) return { lines: [], next: pos };
    const buf = Buffer.allocUnsafe(Math.min(maxBytes, this.written - pos));
    const got = readSync(this.fd, buf, 0, buf.length, pos);
    const end = buf.lastIndexOf(10, got - 1);
    if (end === -1) throw new Error(`${this.path}: a line longer than ${maxBytes} bytes`);
    return { lines: buf.toString("utf8", 0, end).split("\n"), next: pos + end + 1 };
  }

  /** The lines joined by `separator`, in pieces of about `pieceBytes`, without holding them all. */
  *read(separator: string, pieceBytes = 1 << 20): Generator<Buffer> {
    this.flush();
    let pos = 0;
    while (pos < this.written) {
      const { lines, next } = this.readLines(pos, pieceBytes);
      yield Buffer.from(`${pos === 0 ? "" : separator}${lines.join(separator)}`, "utf8");
      pos = next;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
