import type {
  CatalogEntry,
  LogLines,
  OrderResult,
  ScanOrderBody,
  ScanSegmentDone,
  ScanSetAnswer,
  ScanSetReport,
  ScanTapeAnswer,
  ScanTapeReport,
} from "../../contracts/agent-protocol.ts";
import { scanChunkSeq } from "../../contracts/agent-protocol.ts";
import { type CatalogEntryType, type CatalogRecord, toWireEntry } from "../../contracts/catalog-record.ts";
import type { TocFile } from "../../contracts/toc.ts";
import { isDriveError } from "../errors.ts";
import { cutCatalogChunks } from "../pipeline/catalog-batch.ts";
import { readTapeLabel, type TapeIdentity } from "../tape/label-tape.ts";
import { readTapeItems, type TapeListing } from "../tape/list-tape.ts";
import type { SetToc } from "../tape/set-toc.ts";
import type { ExecutorContext } from "./types.ts";

/** The scan executor's questions to the hub (the runtime posts them after the queued reports). */
export interface ScanHub {
  tape(report: ScanTapeReport): Promise<ScanTapeAnswer>;
  set(report: ScanSetReport): Promise<ScanSetAnswer>;
  segmentDone(report: ScanSegmentDone): Promise<void>;
}

export type ScanExecutor = (
  order: ScanOrderBody,
  ctx: ExecutorContext & { hub: ScanHub },
) => Promise<OrderResult>;

/** Members of a TOC-less tape file listed in the run log; the rest are counted. */
const MAX_LISTED_MEMBERS = 10_000;
const LOG_BATCH = 500;
/** A tar record: a member ending this close to where its tape ends may run onto the next tape. */
const SPAN_MARGIN = 10_240;

const ENTRY_TYPES: Record<TocFile["type"], CatalogEntryType> = {
  file: "file",
  directory: "dir",
  symlink: "symlink",
  hardlink: "hardlink",
  other: "other",
};

/**
 * Reads the label and every TOC of a tape and posts them: the hub registers the tape and adds the
 * sets (and the tapes of sets) it did not know, with every file of each TOC as catalog rows. Tape
 * files without a TOC (plain tar, the Go TapeBackarr) are listed with tar into the run log.
 */
export const executeScan: ScanExecutor = async (order, ctx) => {
  const { drive, changer, hub, reporter } = ctx;
  let named = order.barcode;
  try {
    if (order.barcode && changer) await changer.loadTape(order.barcode);
    const status = await drive.status();
    if (order.barcode && status.barcode !== null && status.barcode !== order.barcode)
      return refused(`${drive.name} holds ${status.barcode}, not ${order.barcode}; insert ${order.barcode}`);
    if (!status.flags.online)
      return refused(`${drive.name} has no cartridge ready; insert ${order.barcode ?? "the tape to scan"}`);
    named = status.barcode ?? order.barcode;
    await progress(ctx, named, 0, `reading the label and TOCs of ${named ?? "the tape"}`);
    const identity = await readTapeLabel(drive);
    const tape = await hub.tape(tapeReport(named, identity, []));
    const log = logger(ctx);
    const counts = { sets: 0, fresh: 0, known: 0, entries: 0 };
    const plainFiles: PlainFile[] = [];
    // One TOC at a time: posted (and dropped) before the next is read.
    for await (const item of readTapeItems(drive, identity, { signal: ctx.signal })) {
      ctx.signal.throwIfAborted();
      if (item.kind === "plain") {
        plainFiles.push(item.plain);
        await listPlainFile(log, item.plain);
        continue;
      }
      const { set } = item;
      counts.sets++;
      const report = setReport(tape.barcode, set);
      const answer = await hub.set(report);
      const what = `set ${set.toc.setId} (job "${set.toc.job.name}", tape ${set.toc.tape.sequence} of it, data file ${set.dataFile}, ${set.toc.files.length} entries)`;
      if (answer.status === "known") {
        counts.known++;
        log("info", `${what}: already in the catalog`);
        continue;
      }
      counts.fresh++;
      const entries = catalogEntries(set);
      for (const chunk of cutCatalogChunks(set.toc.setId, entries, (i) => scanChunkSeq(report.sequence, i)))
        await reporter.catalogChunk(chunk);
      await hub.segmentDone({ ...report, entries: entries.length });
      counts.entries += entries.length;
      const words = {
        "new-set": `new set, ${entries.length} entries added`,
        "new-segment": `new tape of a known set, ${entries.length} entries added`,
        rebuild: `${entries.length} entries read to rebuild the set's catalog`,
      };
      log("info", `${what}: ${words[answer.status]}`);
      await progress(ctx, tape.barcode, counts.entries, null);
    }
    // What tar listed counts as used, so nothing offers the tape for a new label without force.
    if (plainFiles.length > 0) await hub.tape(tapeReport(tape.barcode, identity, plainFiles));
    const plainWords =
      plainFiles.length > 0
        ? `, ${plainFiles.length} tape file(s) without a TOC (listed above; restore them with tar)`
        : "";
    log(
      "info",
      `tape ${tape.barcode}: ${counts.sets} set(s), ${counts.fresh} new, ${counts.known} already in the catalog, ${counts.entries.toLocaleString("en-US")} entries${plainWords}`,
    );
    await log.flush();
    return { state: "completed", summary: { files: counts.entries } };
  } catch (error) {
    const tape = named ?? "the tape";
    if (ctx.signal.aborted)
      return {
        state: "interrupted",
        error: `stopped before the scan of ${tape} finished; scan it again (what was posted is kept)`,
        retryable: true,
      };
    const retryable = isDriveError(error) && error.recovery === "retry";
    return { state: "failed", error: `scanning ${tape}: ${(error as Error).message}`, retryable };
  }
};

type PlainFile = TapeListing["plainFiles"][number];

function tapeReport(barcode: string | null, identity: TapeIdentity, plainFiles: PlainFile[]): ScanTapeReport {
  const label = identity.kind === "labelled" ? identity.label : null;
  return {
    barcode,
    kind: identity.kind,
    label: label && {
      label: label.label,
      uuid: label.uuid,
      pool: label.pool,
      timestamp: label.timestamp,
      encryptionFingerprint: label.encryptionFingerprint,
      compression: label.compression,
    },
    filesOnTape: identity.kind === "blank" ? 0 : identity.filesOnTape,
    plainFiles: plainFiles.length,
    // `tar -tv` lines: mode owner size date time name
    plainBytes: plainFiles.reduce(
      (sum, f) => sum + f.entries.reduce((n, line) => n + (Number(line.split(/\s+/)[2]) || 0), 0),
      0,
    ),
  };
}

function setReport(tapeBarcode: string, set: TapeListing["sets"][number]): ScanSetReport {
  const { toc, stream } = set;
  return {
    tapeBarcode,
    setUuid: toc.setId,
    job: { id: toc.job.id.slice(0, 64), name: toc.job.name.trim().slice(0, 128) || "(unnamed job)" },
    startedAt: toc.startedAt,
    finishedAt: toc.finishedAt,
    compression: toc.compression,
    encryption: {
      algorithm: toc.encryption.algorithm === "none" ? "none" : "aes-256-gcm",
      keyFingerprint: toc.encryption.keyFingerprint,
    },
    blockSize: toc.blockSize,
    sequence: toc.tape.sequence - 1,
    fileNumber: set.dataFile,
    streamOffset: stream.offset,
    dataBytes: toc.dataBytes,
    continues: toc.tape.continues,
    complete: set.complete,
    files: toc.files.length,
  };
}

/**
 * A TOC's files as catalog rows. The TOC lists the files whose header is on this tape; one that
 * ends past the last chunk starting here (or past the data file, for a plain stream) may end on
 * the next tape, and is marked so: a restore of it then asks for both tapes.
 */
export function catalogRecords(set: SetToc): CatalogRecord[] {
  const { toc, stream } = set;
  const segment = toc.tape.sequence - 1;
  const lastChunk = stream.chunks.at(-1);
  const boundary = !toc.tape.continues
    ? Number.POSITIVE_INFINITY
    : stream.plainChunkBytes === null
      ? stream.offset + toc.dataBytes - SPAN_MARGIN
      : (lastChunk?.[1] ?? 0);
  return toc.files.map((f) => {
    const end = f.position.byteOffset + 512 + Math.ceil(f.size / 512) * 512;
    return {
      path: f.path,
      type: ENTRY_TYPES[f.type],
      size: f.size,
      mode: Number.parseInt(f.mode, 8),
      uid: f.uid ?? 0,
      gid: f.gid ?? 0,
      mtime: Math.floor(Date.parse(f.mtime) / 1000),
      linkTarget: f.linkTarget ?? null,
      sha256: f.sha256,
      offset: f.position.byteOffset,
      segment,
      endSegment: end > boundary ? segment + 1 : segment,
      deleted: false,
    };
  });
}

/** The TOC's catalog rows in their wire form, as the catalog chunks carry them. */
export function catalogEntries(set: SetToc): CatalogEntry[] {
  return catalogRecords(set).map(toWireEntry);
}

type Log = ((level: LogLines["lines"][number]["level"], message: string, path?: string | null) => void) & {
  flush(): Promise<void>;
};

function logger(ctx: ExecutorContext): Log {
  let lines: LogLines["lines"] = [];
  const send = () => {
    const batch = lines;
    lines = [];
    return ctx.reporter.log(batch);
  };
  const log = ((level, message, path = null) => {
    lines.push({ at: new Date().toISOString(), level, message: message.slice(0, 4000), path });
    if (lines.length >= LOG_BATCH) void send();
  }) as Log;
  log.flush = send;
  return log;
}

async function listPlainFile(log: Log, plain: PlainFile): Promise<void> {
  log(
    "warn",
    `tape file ${plain.file} has no TOC (plain tar, a Go TapeBackarr set or an interrupted one): tar lists ${plain.entries.length} member(s); it is not added to the catalog, restore from it with mt fsf ${plain.file} and tar${plain.tarError ? ` (tar: ${plain.tarError})` : ""}`,
  );
  for (const line of plain.entries.slice(0, MAX_LISTED_MEMBERS)) log("info", `file ${plain.file}: ${line}`);
  if (plain.entries.length > MAX_LISTED_MEMBERS)
    log("info", `file ${plain.file}: ... and ${plain.entries.length - MAX_LISTED_MEMBERS} more member(s)`);
  await log.flush();
}

async function progress(
  ctx: ExecutorContext,
  barcode: string | null,
  filesDone: number,
  message: string | null,
): Promise<void> {
  await ctx.reporter.progress({
    state: "running",
    bytesDone: 0,
    bytesTotal: null,
    filesDone,
    filesTotal: null,
    currentPath: null,
    rateBytesPerSec: null,
    etaSeconds: null,
    tapeBarcode: barcode,
    message,
  });
}

function refused(error: string): OrderResult {
  return { state: "failed", error, retryable: false };
}
