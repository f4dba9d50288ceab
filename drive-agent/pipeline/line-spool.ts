import { closeSync, openSync, readSync, writeSync } from "node:fs";

const FLUSH_BYTES = 256 << 10;

/** An append-only file of lines (a segment's TOC entries, its chunk index), read back once in order. */
export class LineSpool {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private written = 0;
  count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w+");
  }

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

  /** The lines joined by `separator`, in pieces of about `pieceBytes`, without holding them all. */
  *read(separator: string, pieceBytes = 1 << 20): Generator<Buffer> {
    this.flush();
    let pos = 0;
    let first = true;
    const sep = Buffer.from(separator, "utf8");
    while (pos < this.written) {
      const buf = Buffer.allocUnsafe(Math.min(pieceBytes, this.written - pos));
      const got = readSync(this.fd, buf, 0, buf.length, pos);
      const end = buf.lastIndexOf(10, got - 1);
      if (end === -1) throw new Error(`${this.path}: a line longer than ${pieceBytes} bytes`);
      pos += end + 1;
      const lines = buf.subarray(0, end).toString("utf8").split("\n");
      const parts: Buffer[] = [];
      for (const line of lines) {
        if (!first) parts.push(sep);
        parts.push(Buffer.from(line, "utf8"));
        first = false;
      }
      yield Buffer.concat(parts);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
