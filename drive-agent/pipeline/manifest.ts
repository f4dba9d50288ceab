import { createReadStream } from "node:fs";
import { access, type FileHandle, open, readFile, writeFile } from "node:fs/promises";
import { compareWalkOrder } from "./walk-source.ts";

/**
 * What the walk saw of one path. The next incremental compares it with the path's state then: any
 * difference (or no state at all: a new path) puts the path in the set whatever its times.
 */
export type PathState = {
  kind: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  /** 0 where the filesystem gives no stable inode (some FUSE/SMB mounts): never compared then. */
  ino: number;
  /** Symlinks only. */
  link: string | null;
};

const MANIFEST_FLUSH_BYTES = 1 << 20;

/** First record of a manifest that carries each path's state; older manifests hold names only. */
const HEADER = "#tapebackarr-manifest 2";

/**
 * A set's manifest: every path that existed when it ran (changed or not), in walk order, one
 * record `<kind><tar name>\0<size> <mtime> <ctime> <ino> <link>\0` after a header record. The
 * next incremental or differential merges against it to decide what changed and what was deleted,
 * without asking the hub for the base set's catalog.
 */
export class ManifestWriter {
  /** Records are encoded into a 1 MiB buffer as they come (no string outlives its add). */
  private buffer = Buffer.allocUnsafe(MANIFEST_FLUSH_BYTES);
  private bytes = 0;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(private readonly handle: FileHandle) {
    this.put(`${HEADER}\0`);
  }

  static async create(path: string): Promise<ManifestWriter> {
    return new ManifestWriter(await open(path, "w"));
  }

  add(name: string, state: PathState): void {
    this.put(`${state.kind}${name}\0${metaOf(state)}\0`);
  }

  private put(record: string): void {
    if (this.bytes + record.length * 3 > this.buffer.length) {
      this.flush();
      if (record.length * 3 > this.buffer.length) {
        const data = Buffer.from(record, "utf8");
        this.writing = this.writing.then(() => this.handle.write(data));
        return;
      }
    }
    this.bytes += this.buffer.write(record, this.bytes);
  }

  async close(): Promise<void> {
    this.flush();
    await this.writing;
    await this.handle.close();
  }

  private flush(): void {
    if (this.bytes === 0) return;
    const data = this.buffer.subarray(0, this.bytes);
    this.buffer = Buffer.allocUnsafe(MANIFEST_FLUSH_BYTES);
    this.bytes = 0;
    this.writing = this.writing.then(() => this.handle.write(data));
  }
}

function metaOf(s: PathState): string {
  return `${s.size} ${s.mtimeMs} ${s.ctimeMs} ${s.ino} ${s.link ?? ""}`;
}

type ManifestRecord = { kind: string; name: string; meta: string | null };

async function* records(path: string): AsyncGenerator<ManifestRecord> {
  let carry = "";
  let first = true;
  let withState = false;
  let pending: { kind: string; name: string } | null = null;
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split("\0");
    carry = parts.pop() ?? "";
    for (const part of parts) {
      if (first) {
        first = false;
        withState = part === HEADER;
        if (withState) continue;
      }
      if (!withState) yield { kind: part.slice(0, 1), name: part.slice(1), meta: null };
      else if (!pending) pending = { kind: part.slice(0, 1), name: part.slice(1) };
      else {
        yield { ...pending, meta: part };
        pending = null;
      }
    }
  }
}

/** Whether a manifest can serve as the base of an accurate incremental, and if not, why. */
export async function manifestUsable(path: string): Promise<"usable" | "missing" | "names-only"> {
  if (
    !(await access(path).then(
      () => true,
      () => false,
    ))
  )
    return "missing";
  const head = await open(path, "r");
  try {
    const buf = Buffer.alloc(HEADER.length + 1);
    const { bytesRead } = await head.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString("utf8") === `${HEADER}\0` ? "usable" : "names-only";
  } finally {
    await head.close();
  }
}

/**
 * Beside a manifest: the paths tar warned about (unreadable, changed while read), which the set
 * may not hold as the manifest says. The next incremental takes them again.
 */
export async function writeUnread(manifestPath: string, names: ReadonlySet<string>): Promise<void> {
  if (names.size > 0) await writeFile(`${manifestPath}.unread`, [...names].map((n) => `${n}\0`).join(""));
}

async function readUnread(manifestPath: string): Promise<Set<string>> {
  const text = await readFile(`${manifestPath}.unread`, "utf8").catch(() => "");
  return new Set(text.split("\0").filter((n) => n !== ""));
}

/**
 * The base set's manifest as a cursor that the walk asks path by path, in walk order: a path the
 * base lacks, or whose type, size, mtime, ctime, inode or link target differ, has changed; so has
 * one tar could not read whole for the base.
 */
export class ManifestBaseline {
  private readonly cursor: AsyncGenerator<ManifestRecord>;
  private next: IteratorResult<ManifestRecord> | null = null;
  private unread: Set<string> | null = null;

  constructor(private readonly path: string) {
    this.cursor = records(path);
  }

  async changed(name: string, state: PathState): Promise<boolean> {
    this.unread ??= await readUnread(this.path);
    if (this.unread.has(name)) return true;
    if (!this.next) this.next = await this.cursor.next();
    while (!this.next.done && compareWalkOrder(this.next.value.name, name) < 0)
      this.next = await this.cursor.next();
    if (this.next.done || this.next.value.name !== name) return true;
    const base = this.next.value;
    if (base.meta === null || base.kind !== state.kind) return true;
    return !sameState(base.meta, state);
  }

  async close(): Promise<void> {
    await this.cursor.return(undefined);
  }
}

function sameState(meta: string, state: PathState): boolean {
  const fields = meta.split(" ");
  const link = fields.slice(4).join(" ");
  const ino = Number(fields[3]);
  return (
    Number(fields[0]) === state.size &&
    Number(fields[1]) === state.mtimeMs &&
    Number(fields[2]) === state.ctimeMs &&
    (ino === 0 || state.ino === 0 || ino === state.ino) &&
    link === (state.link ?? "")
  );
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
