import { closeSync, openSync, readSync, writeSync } from "node:fs";

const FLUSH_BYTES = 256 << 10;

/**
 * An append-only file of lines (a segment's TOC entries, its chunk index, members waiting for
 * the drive), written in 256 KiB batches and read back in order in whole lines.
 */
export class LineSpool {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferBytes = 0;
  /** Bytes on disk; lines still in the buffer are not counted until flushed. */
  written = 0;
  count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w+");
  }

  /** Appends one line; `line` must not contain a newline. */
  add(line: string): void {
    this.buffer.push(line);
    this.bufferBytes += line.length;
    this.count++;
    if (this.bufferBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const data = Buffer.from(`${this.buffer.join("\n")}\n`, "utf8");
    this.buffer = [];
    this.bufferBytes = 0;
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
