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

  /**
   * The lines joined by `separator`, in pieces of about `pieceBytes`, without holding them all.
   * Copied as bytes, the separator put where each newline was: UTF-8 never has a 0x0A byte inside
   * a character and pieces end on a newline, so this is the lines' text joined, re-encoded.
   */
  *read(separator: string, pieceBytes = 1 << 20): Generator<Buffer> {
    this.flush();
    const sep = Buffer.from(separator, "utf8");
    let pos = 0;
    while (pos < this.written) {
      const buf = Buffer.allocUnsafe(Math.min(pieceBytes, this.written - pos));
      const got = readSync(this.fd, buf, 0, buf.length, pos);
      const end = buf.lastIndexOf(10, got - 1);
      if (end === -1) throw new Error(`${this.path}: a line longer than ${pieceBytes} bytes`);
      let lines = 0;
      for (let at = buf.indexOf(10); at !== -1 && at < end; at = buf.indexOf(10, at + 1)) lines++;
      const first = pos === 0 ? 0 : sep.length;
      const out = Buffer.allocUnsafe(first + end + lines * (sep.length - 1));
      if (first) sep.copy(out, 0);
      let to = first;
      let from = 0;
      for (let at = buf.indexOf(10); at !== -1 && at < end; at = buf.indexOf(10, at + 1)) {
        to += buf.copy(out, to, from, at);
        to += sep.copy(out, to);
        from = at + 1;
      }
      buf.copy(out, to, from, end);
      yield out;
      pos += end + 1;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
