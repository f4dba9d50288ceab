import type { BackupOrderBody, TapeTarget } from "../../../contracts/agent-protocol.ts";
import { TOC_MAGIC, TOC_VERSION } from "../../../contracts/toc.ts";
import type { WriteOutcome } from "../../drives/drive.ts";
import type { SetCatalog } from "../../pipeline/set-catalog.ts";
import { writeSegmentToc } from "../../pipeline/toc-writer.ts";
import type { ExecutorContext } from "../types.ts";
import { positionForWrite } from "./tape-check.ts";

/** The tape segment being written: its tape, its data file and what the drive took so far. */
export type OpenSegment = { target: TapeTarget; dataFile: number; bytes: number; blocks: number };

type Setting = {
  order: BackupOrderBody;
  ctx: ExecutorContext;
  catalog: SetCatalog;
  startedAt: string;
  encrypted: boolean;
  plainChunkBytes: number;
};

/**
 * The set's segments on tape, one per tape: opening one positions the tape for the data file;
 * closing one ends it with a file mark, writes its TOC and reports it to the hub.
 */
export class TapeSegments {
  /** Null between a closed segment and the next tape's (and before the first, after the last). */
  current: OpenSegment | null = null;
  /** Barcodes of the tapes the set was written on, in order. */
  readonly used = new Set<string>();

  constructor(private readonly setting: Setting) {}

  get barcode(): string | null {
    return this.current?.target.barcode ?? null;
  }

  async open(target: TapeTarget, filesOnTape: number): Promise<void> {
    const { ctx, order, catalog } = this.setting;
    const dataFile = await positionForWrite(ctx.drive, filesOnTape, order.blockSize);
    this.used.add(target.barcode);
    catalog.startSegment(catalog.segments.length);
    this.current = { target, dataFile, bytes: 0, blocks: 0 };
  }

  /** Counts a drive write against the open segment. */
  written(outcome: WriteOutcome): void {
    if (outcome.type === "written" && this.current) {
      this.current.bytes += outcome.bytes;
      this.current.blocks += outcome.blocks;
    }
  }

  /** Ends the open segment (nothing when none is open): file mark, TOC, file mark, report. */
  async close(complete: boolean, tapeFull: boolean): Promise<void> {
    if (!this.current) return;
    const current = this.current;
    this.current = null;
    const { ctx, order, catalog, startedAt, encrypted, plainChunkBytes } = this.setting;
    await ctx.drive.writeFileMarks(1);
    const segment = catalog.closeSegment();
    const toc = await writeSegmentToc(
      ctx.drive,
      {
        magic: TOC_MAGIC,
        version: TOC_VERSION,
        setId: order.set.uuid,
        job: { id: String(order.job.id), name: order.job.name },
        startedAt,
        finishedAt: new Date().toISOString(),
        tape: {
          label: current.target.label,
          uuid: current.target.uuid,
          sequence: segment.sequence + 1,
          dataFile: current.dataFile,
          continues: tapeFull,
        },
        compression: order.compression,
        encryption: {
          algorithm: encrypted ? "aes-256-gcm-chunked" : "none",
          keyFingerprint: order.encryption.keyFingerprint,
          ...(encrypted && order.encryption.wrappedKey ? { wrappedKey: order.encryption.wrappedKey } : {}),
        },
        blockSize: order.blockSize,
        dataBytes: current.bytes,
      },
      {
        complete,
        stream: {
          offset: segment.streamStart,
          plainChunkBytes: catalog.passthroughSet ? null : plainChunkBytes,
        },
      },
      segment,
      order.blockSize,
    );
    await ctx.drive.writeFileMarks(1);
    ctx.log("info", "segment closed", {
      tape: current.target.barcode,
      tocBytes: toc.bytes,
      tapeFull,
      complete,
    });
    await ctx.reporter.segment({
      setUuid: order.set.uuid,
      sequence: segment.sequence,
      tapeBarcode: current.target.barcode,
      fileNumber: current.dataFile,
      streamOffset: segment.streamStart,
      bytes: current.bytes,
      blocks: current.blocks,
      complete,
      nextFile: current.dataFile + 2,
      tapeFull,
    });
  }
}
