import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { compareWalkOrder } from "./walk-source.ts";

/**
 * A set's manifest: every path that existed when it ran (changed or not), one record
 * `<kind><tar name>\0` in walk order, kind d/f/l/o. The next incremental merges against it to find
 * deletions without asking the hub for the base set's catalog.
 */
export class ManifestWriter {
  private buffer: string[] = [];
  private bytes = 0;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(private readonly handle: FileHandle) {}

  static async create(path: string): Promise<ManifestWriter> {
    return new ManifestWriter(await open(path, "w"));
  }

  add(kind: string, name: string): void {
    this.buffer.push(`${kind}${name}\0`);
    this.bytes += name.length + 2;
    if (this.bytes >= 1 << 20) this.flush();
  }

  async close(): Promise<void> {
    this.flush();
    await this.writing;
    await this.handle.close();
  }

  private flush(): void {
    const data = this.buffer.join("");
    this.buffer = [];
    this.bytes = 0;
    this.writing = this.writing.then(() => this.handle.write(data));
  }
}

async function* records(path: string): AsyncGenerator<{ kind: string; name: string }> {
  let carry = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split("\0");
    carry = parts.pop() ?? "";
    for (const part of parts) yield { kind: part.slice(0, 1), name: part.slice(1) };
  }
}

/** Paths in the base manifest that the new one lacks: a streaming merge of two sorted lists. */
export async function findDeletions(
  basePath: string,
  newPath: string,
  onDeleted: (name: string, kind: string) => void | Promise<void>,
): Promise<number> {
  const current = records(newPath);
  let next = await current.next();
  let deleted = 0;
  for await (const base of records(basePath)) {
    while (!next.done && compareWalkOrder(next.value.name, base.name) < 0) next = await current.next();
    if (next.done || next.value.name !== base.name) {
      deleted++;
      await onDeleted(base.name, base.kind);
    }
  }
  return deleted;
}
