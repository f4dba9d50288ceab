import type { RestoreOrderBody, RestoreTape, VerifyOrderBody } from "../../../contracts/agent-protocol.ts";
import { DriveError } from "../../errors.ts";
import { readTapeLabel } from "../../tape/label-tape.ts";
import { readTapeFile } from "../../tape/read-tape-file.ts";
import { seekToBlock } from "../../tape/seek.ts";
import { decodeSetToc, readTocHead } from "../../tape/set-toc.ts";
import type { ExecutorContext } from "../types.ts";
import { type MemberOnTape, membersOfToc, type SegmentLayout, type SegmentSource } from "./set-reader.ts";

export type Tick = { state: "running" | "waiting-for-tape"; message: string | null; tape: string | null };

/** A TOC holds ~300 bytes per file: this allows millions of files per tape. */
const MAX_TOC_BYTES = 2 * 1024 ** 3;

/**
 * The set's tapes as a restore or verify order lists them: loaded by the changer, else asked of
 * the operator. With `fullToc` every tape's whole TOC is read (the files it holds, for a verify);
 * otherwise only its chunk index.
 */
export class OrderSegmentSource implements SegmentSource {
  private readonly layouts = new Map<number, SegmentLayout>();
  private loaded: number | null = null;

  constructor(
    private readonly order: Pick<RestoreOrderBody | VerifyOrderBody, "set" | "tapes">,
    private readonly ctx: ExecutorContext,
    private readonly tick: Tick,
    private readonly options: {
      pollMs: number;
      signal: AbortSignal;
      report: () => Promise<void>;
      /** "restore", "verify": for the words asking for a tape. */
      purpose: string;
      fullToc: boolean;
    },
  ) {}

  get drive() {
    return this.ctx.drive;
  }

  /** The barcode of the tape holding segment `seq`. */
  barcodeOf(seq: number): string | null {
    return this.order.tapes.find((t) => t.sequence === seq)?.barcode ?? null;
  }

  /** The members of every TOC read so far (with `fullToc`), in tar-offset order. */
  members(): MemberOnTape[] {
    return [...this.layouts.values()].flatMap((l) => l.members ?? []).sort((a, b) => a.offset - b.offset);
  }

  knownMembers(): number {
    let n = 0;
    for (const l of this.layouts.values()) n += l.members?.length ?? 0;
    return n;
  }

  /** Tapes of the order not read at all (the tar archive ended before them). */
  unread(): RestoreTape[] {
    return this.order.tapes.filter((t) => !this.layouts.has(t.sequence));
  }

  /** The tape holding the member whose header is at `offset`, when a TOC read so far lists it. */
  barcodeAt(offset: number): string | null {
    for (const l of this.layouts.values())
      if (l.members?.some((m) => m.offset === offset)) return this.barcodeOf(l.seq);
    return null;
  }

  async segment(seq: number): Promise<SegmentLayout> {
    const tape = this.order.tapes.find((t) => t.sequence === seq);
    if (!tape) throw new DriveError("NOT_FOUND", `the order names no tape for part ${seq + 1} of the set`);
    if (this.loaded !== seq) await this.insert(tape);
    this.loaded = seq;
    this.tick.tape = tape.barcode;
    const known = this.layouts.get(seq);
    if (known) return known;
    const { blockSize } = this.order.set;
    const last = Math.max(...this.order.tapes.map((t) => t.sequence));
    const chunked = this.order.set.compression !== "none" || this.order.set.encryption.algorithm !== "none";
    let layout: SegmentLayout = {
      seq,
      dataFile: tape.fileNumber,
      streamOffset: tape.streamOffset,
      chunks: [],
      continues: seq < last,
    };
    if (chunked || this.options.fullToc) {
      // The TOC follows the data file; its chunk index sits at its head.
      await seekToBlock(this.drive, tape.fileNumber + 1, 0, blockSize);
      if (this.options.fullToc) {
        const { data } = await readTapeFile(this.drive, MAX_TOC_BYTES);
        const found = decodeSetToc(data);
        if (!found) throw this.notToc(tape, "no readable TOC");
        if (found.toc.setId !== this.order.set.uuid)
          throw this.notToc(tape, `the TOC of set ${found.toc.setId}`);
        layout = {
          ...layout,
          chunks: found.stream.chunks,
          members: membersOfToc(found.toc, seq),
        };
      } else {
        const head = await readTocHead(this.drive, blockSize);
        if (head.setId !== this.order.set.uuid) throw this.notToc(tape, `the TOC of set ${head.setId}`);
        layout = { ...layout, chunks: head.stream.chunks };
      }
    }
    this.layouts.set(seq, layout);
    return layout;
  }

  private notToc(tape: RestoreTape, what: string): DriveError {
    return new DriveError(
      "NOT_FOUND",
      `tape ${tape.barcode} file ${tape.fileNumber + 1} is ${what}, not set ${this.order.set.uuid}'s; scan the tape`,
    );
  }

  private async insert(tape: RestoreTape): Promise<void> {
    const matches = async () => {
      const identity = await readTapeLabel(this.drive).catch(() => null);
      return (
        identity?.kind === "labelled" &&
        identity.label.label === tape.label &&
        (tape.uuid === "" || identity.label.uuid === tape.uuid)
      );
    };
    if (this.ctx.changer) {
      await this.ctx.changer.loadTape(tape.barcode);
      if (await matches()) return;
      throw new DriveError(
        "NOT_FOUND",
        `cartridge ${tape.barcode} is not labelled "${tape.label}" as the catalog says`,
      );
    }
    if ((await this.drive.status().catch(() => null))?.flags.online && (await matches())) return;
    this.tick.state = "waiting-for-tape";
    this.tick.message = `Insert tape ${tape.barcode} ("${tape.label}") into ${this.drive.name} to continue the ${this.options.purpose}`;
    await this.options.report();
    try {
      for (;;) {
        if (this.options.signal.aborted)
          throw new DriveError("NO_CARTRIDGE", `stopped while waiting for tape ${tape.barcode}`);
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
        if ((await this.drive.status().catch(() => null))?.flags.online && (await matches())) return;
      }
    } finally {
      this.tick.state = "running";
      this.tick.message = null;
    }
  }
}
