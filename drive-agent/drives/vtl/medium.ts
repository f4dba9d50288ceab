import { constants } from "node:fs";
import {
  type FileHandle,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { DIRECT_IO_ALIGNMENT, isDirectWritable } from "../direct-memory.ts";

/** One tape file: its blocks live in a plain file so tar, dd and jq can read it directly. */
const FileMetaSchema = z.object({ blockSize: z.number().int().positive(), marked: z.boolean() });

export const MediumMetaSchema = z.object({
  barcode: z.string(),
  capacityBytes: z.number().int().positive(),
  /** Size of the early-warning zone before the physical end. */
  earlyWarningBytes: z.number().int().nonnegative(),
  writeProtected: z.boolean(),
  loadCount: z.number().int().nonnegative(),
  files: z.array(FileMetaSchema),
  /** A cleaning cartridge (CLN barcode): how often it ran, and how often it can. */
  cleaning: z
    .object({ uses: z.number().int().nonnegative(), maxUses: z.number().int().positive() })
    .optional(),
});
export type MediumMeta = z.infer<typeof MediumMetaSchema>;

export const MEDIUM_META = "cartridge.json";

export function tapeFileName(index: number): string {
  return `file-${String(index).padStart(4, "0")}`;
}

/**
 * The recorded content of one cartridge: files of fixed-size blocks, each but the last ended by a
 * file mark. Positions and st semantics live in the drive; this only stores and fetches blocks.
 */
export class TapeMedium {
  private constructor(
    readonly dir: string,
    readonly meta: MediumMeta,
    private readonly sizes: number[],
  ) {}

  private handle: OpenFile | null = null;
  /** Data writes on their way into the files (see queueBlocks). */
  private readonly landing = new Set<Promise<void>>();
  private failure: unknown = null;
  /** The filesystem refused a direct write: every later one goes through the page cache. */
  private directRefused = false;
  /** Data bytes written with O_DIRECT, past the page cache (docs/adr/0027). */
  directBytes = 0;

  static async create(dir: string, meta: MediumMeta): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, MEDIUM_META), `${JSON.stringify(MediumMetaSchema.parse(meta), null, 2)}\n`);
  }

  static async readMeta(dir: string): Promise<MediumMeta> {
    return MediumMetaSchema.parse(JSON.parse(await readFile(join(dir, MEDIUM_META), "utf8")));
  }

  static async open(dir: string): Promise<TapeMedium> {
    const meta = await TapeMedium.readMeta(dir);
    // Byte counts come from the data files, so a crash mid-write loses at most a partial block.
    const sizes = await Promise.all(
      meta.files.map(async (file, index) => {
        const bytes = await stat(join(dir, tapeFileName(index))).then(
          (s) => s.size,
          () => 0,
        );
        return bytes - (bytes % file.blockSize);
      }),
    );
    return new TapeMedium(dir, meta, sizes);
  }

  get fileCount(): number {
    return this.meta.files.length;
  }

  get usedBytes(): number {
    return this.sizes.reduce((sum, size) => sum + size, 0);
  }

  get earlyWarningMark(): number {
    return this.meta.capacityBytes - this.meta.earlyWarningBytes;
  }

  fileMeta(index: number): { blockSize: number; marked: boolean } | undefined {
    return this.meta.files[index];
  }

  blocksIn(index: number): number {
    const file = this.meta.files[index];
    return file ? (this.sizes[index] ?? 0) / file.blockSize : 0;
  }

  dataPath(index: number): string {
    return join(this.dir, tapeFileName(index));
  }

  /** Discards everything from (file, block) on, as writing over the middle of a tape does. */
  async truncateFrom(file: number, block: number): Promise<void> {
    await this.settle();
    for (let index = this.fileCount - 1; index > file; index--) {
      await this.closeHandle(index);
      await rm(this.dataPath(index), { force: true });
    }
    this.meta.files.length = Math.min(this.fileCount, file + 1);
    this.sizes.length = this.meta.files.length;
    const current = this.meta.files[file];
    if (current) {
      const keep = block * current.blockSize;
      if (keep < (this.sizes[file] ?? 0)) {
        await this.closeHandle(file);
        await truncate(this.dataPath(file), keep);
      }
      this.sizes[file] = keep;
      current.marked = false;
    }
    await this.saveMeta();
  }

  /** Starts a new, unmarked file at the end of the recorded data. */
  async startFile(blockSize: number): Promise<number> {
    this.meta.files.push({ blockSize, marked: false });
    this.sizes.push(0);
    await writeFile(this.dataPath(this.fileCount - 1), new Uint8Array());
    await this.saveMeta();
    return this.fileCount - 1;
  }

  /** Appends whole blocks to the last file. */
  async appendBlocks(index: number, data: Uint8Array): Promise<void> {
    await this.queueBlocks(index, data);
  }

  /**
   * Places whole blocks at the end of a file and starts writing them: the file's size counts them
   * at once, so the next call lands after them and several writes can be on their way together
   * (positional writes at distinct offsets). Resolves once the bytes are in the file; the caller
   * keeps `data` unchanged until then. A failed write fails every later operation on the medium.
   */
  queueBlocks(index: number, data: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const at = this.sizes[index] ?? 0;
    this.sizes[index] = at + data.length;
    const landed = this.writeAt(index, data, at).catch((error: unknown) => {
      this.failure ??= error;
      throw error;
    });
    this.landing.add(landed);
    const forget = () => this.landing.delete(landed);
    landed.then(forget, forget);
    return landed;
  }

  /** Waits until every queued write is in its file; throws the first that failed. */
  async settle(): Promise<void> {
    await this.landed();
    if (this.failure) throw this.failure;
  }

  /** The writes queued so far have ended (landed or failed); later ones are not waited for. */
  private async landed(): Promise<void> {
    if (this.landing.size > 0) await Promise.allSettled([...this.landing]);
  }

  private async writeAt(index: number, data: Uint8Array, at: number): Promise<void> {
    const file = this.handleFor(index);
    let written = 0;
    if (!this.directRefused && at % DIRECT_IO_ALIGNMENT === 0 && isDirectWritable(data)) {
      const direct = await file.direct;
      if (direct) written = await this.writeDirect(direct, data, at);
    }
    const fh = await file.fh;
    while (written < data.length) {
      const { bytesWritten } = await fh.write(data, written, data.length - written, at + written);
      written += bytesWritten;
    }
  }

  // As mbuffer writes a file: the disk takes the bytes from where they lie, no page-cache copy.
  private async writeDirect(direct: FileHandle, data: Uint8Array, at: number): Promise<number> {
    try {
      const { bytesWritten } = await direct.write(data, 0, data.length, at);
      this.directBytes += bytesWritten;
      return bytesWritten;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EINVAL") throw error;
      this.directRefused = true;
      return 0;
    }
  }

  async markFile(index: number): Promise<void> {
    await this.settle();
    const file = this.meta.files[index];
    if (file) file.marked = true;
    await this.saveMeta();
  }

  /** Reads up to `maxBlocks` blocks starting at `block`; fewer at the end of the file. */
  async readBlocks(index: number, block: number, maxBlocks: number): Promise<Buffer> {
    const file = this.meta.files[index];
    if (!file) return Buffer.alloc(0);
    const count = Math.max(0, Math.min(maxBlocks, this.blocksIn(index) - block));
    await this.settle();
    const buffer = Buffer.allocUnsafe(count * file.blockSize);
    const fh = await this.handleFor(index).fh;
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await fh.read(buffer, done, buffer.length - done, block * file.blockSize + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  }

  async setWriteProtected(on: boolean): Promise<void> {
    this.meta.writeProtected = on;
    await this.saveMeta();
  }

  /** One run of a cleaning cartridge; true when it was already spent (nothing was cleaned). */
  async countCleaning(): Promise<boolean> {
    const cleaning = this.meta.cleaning;
    if (!cleaning) return false;
    const spent = cleaning.uses >= cleaning.maxUses;
    if (!spent) cleaning.uses++;
    await this.saveMeta();
    return spent;
  }

  async countLoad(): Promise<void> {
    this.meta.loadCount++;
    await this.saveMeta();
  }

  // Write-then-rename so a reader never sees half a cartridge.json.
  async saveMeta(): Promise<void> {
    const path = join(this.dir, MEDIUM_META);
    await writeFile(`${path}.tmp`, `${JSON.stringify(this.meta, null, 2)}\n`);
    await rename(`${path}.tmp`, path);
  }

  async close(): Promise<void> {
    try {
      await this.settle();
    } finally {
      if (this.handle) await this.closeHandle(this.handle.index);
    }
  }

  // One open data file at a time; queued writes share its handles (the promises: opened once).
  private handleFor(index: number): OpenFile {
    if (this.handle?.index === index) return this.handle;
    const previous = this.handle ? this.closeHandle(this.handle.index) : Promise.resolve();
    const path = this.dataPath(index);
    const fh = previous.then(() => open(path, "r+"));
    // No direct handle where the platform or the filesystem has no O_DIRECT: the page cache only.
    const direct = constants.O_DIRECT
      ? previous.then(() => open(path, constants.O_WRONLY | constants.O_DIRECT).catch(() => null))
      : Promise.resolve(null);
    this.handle = { index, fh, direct };
    return this.handle;
  }

  private async closeHandle(index: number): Promise<void> {
    if (this.handle?.index !== index) return;
    const { fh, direct } = this.handle;
    this.handle = null;
    await this.landed();
    try {
      await (await fh).close();
    } finally {
      await (await direct)?.close();
    }
  }
}

/** A tape file's data file, open for buffered reads and writes and, where it can be, direct writes. */
type OpenFile = { index: number; fh: Promise<FileHandle>; direct: Promise<FileHandle | null> };
