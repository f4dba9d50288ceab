import { createHash, type Hash } from "node:crypto";
import {
  chmod,
  chown,
  type FileHandle,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open as openFile,
  rename,
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import { ContentCursor } from "../../pipeline/sparse-content.ts";
import { TarEvent, TarFramer, type TarHeader } from "../../pipeline/tar-framer.ts";
import { makeNode, temporaryName } from "./place-node.ts";
import { freeName, prepareTarget } from "./safe-path.ts";

export type OverwritePolicy = "skip" | "overwrite" | "rename";

/** What the catalog (or the TOC) says a member must be. */
export type ExpectedMember = { path: string; offset: number; sha256: string | null; size: number };

export type FileOutcome = {
  path: string;
  offset: number;
  outcome: "restored" | "skipped" | "renamed" | "failed" | "verified";
  writtenTo: string | null;
  error: string | null;
  /** Content bytes written (or verified) for this member; 0 or absent when it was not. */
  bytes?: number;
};

export type ExtractOptions = {
  /** Real path of the destination; null verifies (reads and hashes) without writing anything. */
  destination: string | null;
  overwrite: OverwritePolicy;
  /** The member starting at this header offset is wanted: with what it must be, "any", or null (skip it). */
  wanted: (offset: number, path: string) => ExpectedMember | "any" | null;
  onFile: (result: FileOutcome) => void | Promise<void>;
  /** Restore owners (only root may). */
  owners: boolean;
  /** With no destination: each wanted file's content, in stream order (a guest archive fed to qmrestore). */
  onContent?: (data: Buffer) => Promise<void>;
};

type Open = {
  member: TarHeader;
  expected: ExpectedMember | "any";
  hash: Hash;
  /** Where each stored byte goes in the file (a sparse member's holes are never written). */
  cursor: ContentCursor;
  handle: FileHandle | null;
  temp: string | null;
  target: string | null;
  renamed: boolean;
  error: string | null;
  /** Content bytes read into it so far. */
  done: number;
};

/**
 * Extracts wanted members from a tar stream that starts at a member header (at tar offset
 * `offset`), writing each file under a temporary name, hashing it as it is written and moving it
 * into place only when its sha256 matches; a mismatch fails that file alone, loudly.
 */
export class TarExtractor {
  private readonly framer: TarFramer;
  private open: Open | null = null;
  private skipping = false;
  private readonly dirs: TarHeader[] = [];
  /** Tar path → where it was written, for hard links to members restored earlier. */
  private readonly written = new Map<string, string>();

  /** A wanted member's content is still being read. */
  get busy(): boolean {
    return this.open !== null;
  }

  /** Content bytes of the wanted member being read, so far (progress between whole files). */
  get openBytes(): number {
    return this.open && !this.skipping ? this.open.done : 0;
  }

  /** The archive's end marker was read. */
  get ended(): boolean {
    return this.framer.ended;
  }

  /** Tar offset of the next byte the extractor expects. */
  get offset(): number {
    return this.framer.offset;
  }

  constructor(
    offset: number,
    private readonly options: ExtractOptions,
  ) {
    this.framer = new TarFramer(offset, true);
  }

  async push(data: Buffer): Promise<void> {
    const framer = this.framer;
    framer.feed(data);
    for (let event = framer.step(); event !== TarEvent.NeedData; event = framer.step()) {
      const header = framer.member;
      if (!header) continue;
      if (event === TarEvent.Member) await this.beginMember(header);
      else if (event === TarEvent.Content) await this.content(framer.slice);
      else await this.endMember();
    }
  }

  /** The stream stopped (end of data, a damaged chunk): the member being written fails with `reason`. */
  async abort(reason: string): Promise<void> {
    if (this.open) await this.fail(this.open, reason);
    this.open = null;
  }

  /** Applies directory modes and times last: writing into a directory changes its mtime. */
  async finish(): Promise<void> {
    await this.abort("the tape data ended inside this file");
    for (const dir of this.dirs.reverse()) {
      const target =
        this.options.destination &&
        (await prepareTarget(this.options.destination, dir.path).catch(() => null));
      if (!target) continue;
      await chmod(target, dir.mode & this.modeMask()).catch(() => undefined);
      if (this.options.owners) await chown(target, dir.uid, dir.gid).catch(() => undefined);
      await utimes(target, dir.mtime, dir.mtime).catch(() => undefined);
    }
  }

  private modeMask(): number {
    return this.options.owners ? 0o7777 : 0o1777;
  }

  private async beginMember(member: TarHeader): Promise<void> {
    const expected = this.options.wanted(member.headerOffset, member.path);
    this.skipping = expected === null;
    if (expected !== null) await this.begin(member, expected);
  }

  private async content(slice: Buffer): Promise<void> {
    const open = this.open;
    if (!open || this.skipping) return;
    open.done += slice.length;
    if (this.options.destination === null && this.options.onContent) {
      // A copy: the slice is a view of the reader's buffer, which the consumer may outlive.
      for (const _placed of open.cursor.place(slice)) {
        // placing hashes the content; a guest archive has no holes to skip
      }
      await this.options.onContent(Buffer.from(slice));
      return;
    }
    const handle = open.error === null ? open.handle : null;
    for (const { position, data } of open.cursor.place(slice)) {
      if (!handle) continue;
      await handle.write(data, 0, data.length, position).catch((error: Error) => {
        open.error = `writing ${open.temp}: ${error.message}`;
      });
    }
  }

  private async endMember(): Promise<void> {
    const open = this.open;
    this.open = null;
    if (open) await this.complete(open);
  }

  private async begin(member: TarHeader, expected: ExpectedMember | "any"): Promise<void> {
    const hash = createHash("sha256");
    const open: Open = {
      member,
      expected,
      hash,
      cursor: new ContentCursor(member.sparse, hash),
      handle: null,
      temp: null,
      target: null,
      renamed: false,
      error: null,
      done: 0,
    };
    const root = this.options.destination;
    try {
      if (root === null) {
        if (member.type === "file") this.open = open;
        else await this.report(open, "verified");
        return;
      }
      let target = await prepareTarget(root, member.path);
      const existing = await lstat(target).catch(() => null);
      if (member.type === "dir") {
        if (existing && !existing.isDirectory()) throw new Error(`${target} exists and is not a directory`);
        if (!existing) await mkdir(target, { mode: 0o700 });
        this.dirs.push(member);
        await this.report({ ...open, target }, "restored");
        return;
      }
      if (existing) {
        if (this.options.overwrite === "skip") {
          this.skipping = true;
          await this.options.onFile({
            path: member.path,
            offset: member.headerOffset,
            outcome: "skipped",
            writtenTo: null,
            error: `${target} exists (not overwritten)`,
          });
          return;
        }
        if (this.options.overwrite === "rename") {
          target = await freeName(target);
          open.renamed = true;
        } else if (existing.isDirectory())
          throw new Error(`${target} is a directory; not replaced by a ${member.type}`);
      }
      open.target = target;
      if (member.type === "file") {
        open.temp = temporaryName(target);
        open.handle = await openFile(open.temp, "wx", 0o600);
        this.open = open;
        return;
      }
      await this.placeLink(member, target);
      await this.report(open, open.renamed ? "renamed" : "restored");
    } catch (error) {
      this.skipping = true;
      await this.fail(open, (error as Error).message);
    }
  }

  private async placeLink(member: TarHeader, target: string): Promise<void> {
    const temp = temporaryName(target);
    if (member.type === "symlink") {
      // The link itself may point anywhere; nothing is ever written through it.
      await symlink(member.linkTarget ?? "", temp);
      if (this.options.owners) await lchown(temp, member.uid, member.gid).catch(() => undefined);
      await lutimes(temp, member.mtime, member.mtime).catch(() => undefined);
    } else if (member.type === "hardlink") {
      const source = this.written.get((member.linkTarget ?? "").replace(/^\.\//, "").replace(/^\/+/, ""));
      if (!source)
        throw new Error(
          `hard link to "${member.linkTarget}", which this restore did not write: select that file too`,
        );
      await link(source, temp);
    } else {
      await makeNode(member, temp, { owners: this.options.owners, modeMask: this.modeMask() });
    }
    await rename(temp, target);
    this.written.set(member.path, target);
  }

  private async complete(open: Open): Promise<void> {
    const { member, expected } = open;
    const size = open.cursor.end();
    const sha256 = open.hash.digest("hex");
    // A sparse file ending in a hole gets its length here; the hole is never written.
    if (member.sparse && open.error === null)
      await open.handle?.truncate(size).catch((error: Error) => {
        open.error = `sizing ${open.temp}: ${error.message}`;
      });
    await open.handle?.close();
    open.handle = null;
    if (open.error) return this.fail(open, open.error);
    if (expected !== "any" && expected.sha256 !== null && expected.sha256 !== sha256)
      return this.fail(
        open,
        `sha256 mismatch: the tape gave ${sha256}, the catalog says ${expected.sha256} (damaged data on tape); not restored`,
      );
    if (this.options.destination === null || !open.temp || !open.target) return this.report(open, "verified");
    try {
      if (this.options.owners) await chown(open.temp, member.uid, member.gid);
      await chmod(open.temp, member.mode & this.modeMask());
      await utimes(open.temp, member.mtime, member.mtime);
      await rename(open.temp, open.target);
      this.written.set(member.path, open.target);
      await this.report(open, open.renamed ? "renamed" : "restored");
    } catch (error) {
      await this.fail(open, (error as Error).message);
    }
  }

  private report(open: Open, outcome: FileOutcome["outcome"]) {
    return this.options.onFile({
      path: open.member.path,
      offset: open.member.headerOffset,
      outcome,
      writtenTo: open.target,
      error: null,
      bytes: open.done,
    });
  }

  private async fail(open: Open, error: string): Promise<void> {
    await open.handle?.close().catch(() => undefined);
    if (open.temp) await rm(open.temp, { force: true }).catch(() => undefined);
    await this.options.onFile({
      path: open.member.path,
      offset: open.member.headerOffset,
      outcome: "failed",
      writtenTo: null,
      error,
    });
  }
}
