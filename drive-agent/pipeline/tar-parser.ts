import { createHash, type Hash } from "node:crypto";
import type { CatalogEntryType } from "../../contracts/catalog-record.ts";
import { ContentCursor } from "./sparse-content.ts";
import { TarEvent, TarFramer, type TarHeader } from "./tar-framer.ts";

export { cString, parsePax, readNumber } from "./tar-framer.ts";

export type TarMember = {
  path: string;
  type: CatalogEntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkTarget: string | null;
  sha256: string | null;
  /** Offset of the member's first header (a GNU long-name or pax header when there is one). */
  headerOffset: number;
  /** Offset just past the member's last content byte (before padding). */
  endOffset: number;
};

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * Catalogues a tar stream as it passes, without copying content: file content goes straight
 * into the member's sha256. `push` is synchronous so the caller can forward the very same
 * buffer downstream afterwards.
 */
export class TarParser {
  private readonly framer = new TarFramer();
  private hash: Hash | null = null;
  private cursor: ContentCursor | null = null;

  constructor(private readonly onMember: (member: TarMember) => void) {}

  get offset(): number {
    return this.framer.offset;
  }

  get ended(): boolean {
    return this.framer.ended;
  }

  /** Where the member being parsed starts: no member before it can still be reported. */
  get openOffset(): number {
    return this.framer.openOffset;
  }

  /** The member tar is still streaming (its sha256 is not known before its last byte). */
  get openMember(): TarHeader | null {
    return this.framer.current;
  }

  push(data: Buffer): void {
    const framer = this.framer;
    framer.feed(data);
    for (let event = framer.step(); event !== TarEvent.NeedData; event = framer.step()) {
      const header = framer.member;
      if (!header) continue;
      if (event === TarEvent.Member) {
        this.hash = header.type === "file" && header.size > 0 ? createHash("sha256") : null;
        // A sparse member's sha256 is the whole file's, its holes read as zeros.
        this.cursor = header.sparse && this.hash ? new ContentCursor(header.sparse, this.hash) : null;
      } else if (event === TarEvent.Content) {
        if (this.cursor) this.cursor.place(framer.slice);
        else this.hash?.update(framer.slice);
      } else {
        this.cursor?.end();
        const sha256 = this.hash ? this.hash.digest("hex") : header.type === "file" ? EMPTY_SHA256 : null;
        this.hash = null;
        this.cursor = null;
        this.onMember({
          path: header.path,
          type: header.type,
          size: header.size,
          mode: header.mode,
          uid: header.uid,
          gid: header.gid,
          mtime: header.mtime,
          linkTarget: header.linkTarget,
          sha256,
          headerOffset: header.headerOffset,
          endOffset: header.endOffset,
        });
      }
    }
  }
}
