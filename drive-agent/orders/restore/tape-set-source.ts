import type { Toc } from "../../../contracts/toc.ts";
import type { Drive } from "../../drives/drive.ts";
import { DriveError } from "../../errors.ts";
import { listTape } from "../../tape/list-tape.ts";
import type { SetToc } from "../../tape/set-toc.ts";
import type { TapeChanger } from "../types.ts";
import { membersOfToc, type SegmentLayout, type SegmentSource } from "./set-reader.ts";

export type TapeSegment = { layout: SegmentLayout; toc: Toc; barcode: string | null };

/**
 * The hub-less source of a set's tapes: everything comes from the tapes' own TOCs. The next tape
 * of a spanning set is looked for in the changer (every cartridge's TOCs are read), or asked of
 * the operator through `askForTape` (which resolves once a tape was inserted).
 */
export class TapeSetSource implements SegmentSource {
  readonly segments = new Map<number, TapeSegment>();
  private loaded: number | null = null;

  constructor(
    readonly drive: Drive,
    readonly setId: string,
    private readonly changer: TapeChanger | null,
    private readonly askForTape: (message: string) => Promise<void>,
  ) {}

  /** Records the segment on the tape in the drive now (from its listing). */
  adopt(found: { dataFile: number } & SetToc, barcode: string | null): TapeSegment {
    const seq = found.toc.tape.sequence - 1;
    const segment: TapeSegment = {
      layout: {
        seq,
        dataFile: found.dataFile,
        streamOffset: found.stream.offset,
        chunks: found.stream.chunks,
        continues: found.toc.tape.continues,
        members: membersOfToc(found.toc, seq),
      },
      toc: found.toc,
      barcode,
    };
    this.segments.set(seq, segment);
    this.loaded = seq;
    return segment;
  }

  async segment(seq: number): Promise<SegmentLayout> {
    const known = this.segments.get(seq);
    if (known && this.loaded === seq) return known.layout;
    if (known?.barcode && this.changer) {
      await this.changer.loadTape(known.barcode);
      this.loaded = seq;
      return known.layout;
    }
    return (await this.find(seq)).layout;
  }

  /** Gets the tape holding segment `seq` into the drive: changer first, then the operator. */
  async find(seq: number): Promise<TapeSegment> {
    if (this.changer) {
      for (const barcode of await this.changer.inventory()) {
        await this.changer.loadTape(barcode);
        const hit = await this.lookHere(seq, barcode);
        if (hit) return hit;
      }
    }
    const previous = this.segments.get(seq - 1) ?? this.segments.get(seq + 1);
    const hint = previous
      ? ` (the tape ${seq - 1 === previous.layout.seq ? "after" : "before"} "${previous.toc.tape.label}")`
      : "";
    for (;;) {
      await this.askForTape(`insert the tape holding part ${seq + 1} of set ${this.setId}${hint}`);
      const hit = await this.lookHere(seq, (await this.drive.status()).barcode);
      if (hit) return hit;
    }
  }

  private async lookHere(seq: number, barcode: string | null): Promise<TapeSegment | null> {
    const listing = await listTape(this.drive).catch(() => null);
    const found = listing?.sets.find((s) => s.toc.setId === this.setId && s.toc.tape.sequence === seq + 1);
    return found ? this.adopt(found, barcode) : null;
  }
}

/** Matches a set by its 1-based number on the tape or by its uuid. */
export function pickSet<T extends { toc: Toc }>(sets: T[], ref: string): T {
  const byId = sets.find((s) => s.toc.setId === ref);
  if (byId) return byId;
  const n = /^\d+$/.test(ref) ? Number(ref) : Number.NaN;
  const byNumber = sets[n - 1];
  if (byNumber) return byNumber;
  throw new DriveError(
    "NOT_FOUND",
    `no set "${ref}" on this tape; it holds ${sets.length} set(s): ${sets.map((s, i) => `${i + 1} = ${s.toc.setId}`).join(", ") || "none"}`,
  );
}

/** Does a TOC path fall under one of the requested paths (a file, or a directory and everything in it)? */
export function pathMatcher(paths: string[]): (path: string) => boolean {
  const wanted = paths.map((p) => p.replace(/^\/+/, "").replace(/^\.\//, "").replace(/\/+$/, ""));
  return (path) => wanted.some((w) => w === "" || path === w || path.startsWith(`${w}/`));
}
