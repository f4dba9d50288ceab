import type { Hash } from "node:crypto";
import type { SparseMap } from "./tar-framer.ts";

/** A piece of a member's content and where it lies in the file. */
export type Placed = { position: number; data: Buffer };

const ZEROS = Buffer.alloc(1 << 20);

/** Feeds `bytes` zero bytes into a hash: a hole reads back as zeros, so the file's sha256 counts them. */
export function hashZeros(hash: Hash, bytes: number): void {
  for (let left = bytes; left > 0; left -= ZEROS.length)
    hash.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
}

/**
 * Places the stored bytes of a member in its file: a plain member's bytes follow one another, a
 * GNU sparse member's fill its map's regions in order, with holes between them. It also keeps the
 * sha256 of the whole file (holes as zeros), which is what the catalog records and `sha256sum` says.
 */
export class ContentCursor {
  private region = 0;
  private into = 0;
  /** File position just past the last byte hashed. */
  private hashed = 0;
  private stored = 0;

  constructor(
    private readonly sparse: SparseMap | null,
    private readonly hash: Hash | null,
  ) {}

  /** The next stored slice, cut at region ends and placed at its file positions. */
  place(slice: Buffer): Placed[] {
    const pieces: Placed[] = [];
    const regions = this.sparse?.regions;
    if (!regions) {
      pieces.push({ position: this.stored, data: slice });
      this.stored += slice.length;
    } else {
      let rest = slice;
      while (rest.length > 0) {
        const region = regions[this.region];
        if (!region) break; // more bytes than the map holds: a damaged header; the sha256 will say so
        const take = Math.min(rest.length, region.length - this.into);
        pieces.push({ position: region.offset + this.into, data: rest.subarray(0, take) });
        rest = rest.subarray(take);
        this.into += take;
        if (this.into === region.length) {
          this.region++;
          this.into = 0;
        }
      }
    }
    if (this.hash)
      for (const piece of pieces) {
        hashZeros(this.hash, piece.position - this.hashed);
        this.hash.update(piece.data);
        this.hashed = piece.position + piece.data.length;
      }
    return pieces;
  }

  /** The file's length: a sparse file may end in a hole, which is hashed here. */
  end(): number {
    const size = this.sparse ? this.sparse.realSize : this.stored;
    if (this.hash) hashZeros(this.hash, size - this.hashed);
    this.hashed = size;
    return size;
  }
}
