import { once } from "node:events";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { BackupOrderBody } from "../../../contracts/agent-protocol.ts";
import { type QueuedWrite, transferBytes, type WriteOutcome } from "../../drives/drive.ts";
import { runCommand, spawnStreaming } from "../../exec.ts";
import { type BufferLease, BufferPool } from "../../pipeline/buffer-pool.ts";
import { ByteQueue } from "../../pipeline/byte-queue.ts";
import { writeSetStream } from "../../pipeline/drive-writer.ts";
import { FifoReader, unblockFifo } from "../../pipeline/fifo-reader.ts";
import { ManifestBaseline, type ManifestWriter } from "../../pipeline/manifest.ts";
import { NameSpool } from "../../pipeline/name-spool.ts";
import type { SetEncoder } from "../../pipeline/set-encoder.ts";
import { StageClock, type StageTimes } from "../../pipeline/stage-clock.ts";
import type { StreamingMeter } from "../../pipeline/streaming-meter.ts";
import { type TarMember, TarParser } from "../../pipeline/tar-parser.ts";
import { mbufferArgv, parseTarDiagnostic, tarCreateArgv } from "../../pipeline/tar-process.ts";
import { type WalkTotals, walkSources } from "../../pipeline/walk-source.ts";
import type { RunControl } from "./run-control.ts";
import type { BackupTuning } from "./tuning.ts";

export type SetStreamResult = { streamBytes: number; plainBytes: number; stages: StageTimes };

type Input = {
  order: BackupOrderBody;
  key: Uint8Array | null;
  control: RunControl;
  tuning: BackupTuning;
  manifest: ManifestWriter;
  /** The base set's manifest, which decides per path what goes in; null for a full. */
  baseManifest: string | null;
  /** A path tar warned about (unreadable, changed while read): the set may not hold it whole. */
  onUnread: (tarName: string) => void;
  onMember: (member: TarMember) => void;
  onBytes: (plainOffset: number) => void;
  onParser: (parser: TarParser) => void;
  onTotals: (totals: WalkTotals) => void;
  encoder: (sink: (data: Buffer[]) => Promise<void> | void, lease: BufferLease) => SetEncoder;
  /** A directory of this set's own (the FIFO tar writes into lives there). */
  scratch: string;
  write: (data: Buffer) => Promise<WriteOutcome | QueuedWrite>;
  /** What the tape in the drive takes in one write past early warning (Drive.maxTransferBytes). */
  maxTransferBytes?: () => number | undefined;
  onCommit: (streamBytes: number) => Promise<void>;
  onEndOfMedium: () => Promise<void>;
  /**
   * What decouples the encoder from the drive: a real mbuffer process (st drives: it keeps the
   * drive streaming), or a bounded queue in this process for a drive that is itself Node code
   * (the vtl), which saves two pipe passes over every byte (docs/adr/0002).
   */
  buffer: "mbuffer" | "memory";
  /** A tar stream made in this process (guests' vzdump streams) instead of GNU tar over a walk. */
  producer?: AsyncIterable<Buffer>;
  /** Counts the drive writer's waits on an empty buffer (the run's streaming health). */
  meter: StreamingMeter;
};

const LIST_BATCH_BYTES = 64 << 10;
/** tar's output in front of mbuffer: read in 1 MiB buffers, eight of them. */
const MBUFFER_READ_BYTES = 1 << 20;
const MBUFFER_READ_BUFFERS = 8;

/**
 * source walk → tar (reads each file once) → FIFO read into pooled buffers → tar header parser +
 * sha256 → chunk, compress, encrypt → mbuffer (or the in-process queue) → drive. Every stage is
 * held back by the one after it, so memory stays flat (the pool's buffers) and a paused drive
 * writer stops tar. A stop request ends the walk and tar; what tar produced still reaches the
 * tape, so the set ends cleanly.
 */
export async function streamSet(input: Input): Promise<SetStreamResult> {
  if (input.producer) return streamThrough(input, null);
  const fifo = join(input.scratch, "tar-output.fifo");
  await rm(fifo, { force: true });
  const made = await runCommand({ argv: ["mkfifo", "-m", "600", "--", fifo] });
  if (made.exitCode !== 0) throw new Error(`mkfifo ${fifo} failed: ${made.stderr.trim()}`);
  try {
    return await streamThrough(input, fifo);
  } finally {
    await rm(fifo, { force: true });
  }
}

async function streamThrough(input: Input, fifo: string | null): Promise<SetStreamResult> {
  const { order, control } = input;
  const abort = new AbortController();
  const clock = new StageClock();
  // tar writes the archive into a FIFO that this process reads into pooled buffers (no Buffer per
  // pipe read); its stdout is not used. A producer in this process (guests' vzdump streams)
  // replaces tar, the walk and the FIFO.
  const tar =
    fifo === null
      ? null
      : spawnStreaming({ argv: tarCreateArgv(order.blockSize, fifo), stdin: "pipe", stdout: "ignore" });
  // A tar that exits (or is killed) before it opens the FIFO must not leave the reader waiting.
  if (tar && fifo !== null) void Promise.resolve(tar).then(() => unblockFifo(fifo));
  const mbuffer =
    input.buffer === "mbuffer"
      ? spawnStreaming({
          argv: mbufferArgv(input.tuning.mbufferBytes, order.blockSize),
          stdin: "pipe",
          stdout: "pipe",
        })
      : null;
  const queue = mbuffer ? null : new ByteQueue(input.tuning.memoryBufferBytes);
  const tarIn = tar?.stdin;
  if (tar && !tarIn) throw new Error("tar needs a piped stdin");
  const bufIn = mbuffer?.stdin;
  const bufOut = mbuffer?.stdout;
  if (mbuffer && (!bufIn || !bufOut)) throw new Error("mbuffer needs piped stdin and stdout");
  tarIn?.on("error", () => undefined);
  bufIn?.on("error", () => undefined);

  let pool: BufferPool | null = null;
  let reader: FifoReader | null = null;
  const lease: BufferLease = {
    retain: (piece) => pool?.retain(piece),
    release: (piece) => pool?.release(piece),
  };
  let failure: unknown = null;
  const fail = (error: unknown) => {
    failure ??= error;
    abort.abort();
    tar?.kill();
    mbuffer?.kill();
    queue?.fail(error);
    reader?.fail(error);
    pool?.close();
  };
  control.onStop(() => {
    abort.abort();
    tar?.kill();
  });

  let stderrTail = "";
  tar?.stderr?.on("data", (chunk: Buffer) => {
    const text = stderrTail + chunk.toString("utf8");
    const lines = text.split("\n");
    stderrTail = lines.pop() ?? "";
    for (const line of lines) {
      const d = parseTarDiagnostic(line);
      if (d) control.addLog(d.level, d.message, d.path);
      if (d?.path) input.onUnread(d.path.slice(1));
    }
  });

  // The walk lists tar's members into a spool on disk, never held back by tar, so its totals are
  // known early (docs/adr/0028); the feeder passes the spool on to tar's stdin as tar takes it.
  const walked = (async () => {
    if (!tarIn) return;
    const names = new NameSpool(join(input.scratch, "tar-members"));
    const baseline = input.baseManifest ? new ManifestBaseline(input.baseManifest) : null;
    let batch: string[] = [];
    let batchBytes = 0;
    const flush = () => {
      names.append(batch.join(""));
      batch = [];
      batchBytes = 0;
      return true;
    };
    const fed = names.feed(tarIn, abort.signal);
    try {
      const totals = await walkSources({
        paths: order.source.paths,
        include: order.source.include,
        exclude: order.source.exclude,
        baseline,
        onPresent: (name, state) => input.manifest.add(name, state),
        onListed: (name, info) => {
          input.tuning.onSourceListed?.(info.absolute);
          batch.push(`${name}\0`);
          batchBytes += name.length + 1;
          return batchBytes < LIST_BATCH_BYTES || flush();
        },
        drained: async () => undefined,
        onWarning: (message, path) => control.addLog("warn", message, path),
        signal: abort.signal,
      }).finally(() => baseline?.close());
      if (batch.length > 0) flush();
      names.end();
      input.onTotals(totals);
      await fed;
      tarIn.end();
    } catch (error) {
      fail(error);
      await fed.catch(() => undefined);
    } finally {
      names.close();
    }
  })().catch(fail);

  // tar's output: parsed in place, then handed to the encoder, whose output goes into mbuffer.
  const parser = new TarParser(input.onMember);
  input.onParser(parser);
  // What the sink's consumer is done with: a read buffer (passthrough) or an encoded record.
  const releaseWritten = (piece: Buffer) => {
    lease.release(piece);
    encoder.release(piece);
  };
  const intoBuffer = (data: Buffer[]): Promise<void> | undefined => {
    if (queue) return queue.push(data);
    if (!bufIn) return;
    let ok = true;
    for (const piece of data) ok = bufIn.write(piece, () => releaseWritten(piece));
    if (!ok) return drain(bufIn, abort.signal);
  };
  const encoder = input.encoder((data) => {
    const from = performance.now();
    return intoBuffer(data)?.then(() => clock.since("driveWaitMs", from));
  }, lease);
  pool = readPool(input, encoder);
  const readPoolOf = pool;
  const encoded = (async () => {
    let source: AsyncIterable<Buffer>;
    if (fifo === null) source = input.producer as AsyncIterable<Buffer>;
    else {
      reader = await FifoReader.open(fifo, readPoolOf);
      if (failure) reader.fail(failure);
      source = reader;
    }
    let from = performance.now();
    for await (const chunk of source) {
      clock.since("tarWaitMs", from);
      await input.tuning.paceSource?.(chunk.length);
      clock.time("hashMs", () => parser.push(chunk));
      input.onBytes(parser.offset);
      if (!encoder.push(chunk)) {
        const full = performance.now();
        await encoder.drained();
        clock.since("encoderWaitMs", full);
      }
      from = performance.now();
    }
    await encoder.finish();
    if (queue) queue.end();
    else bufIn?.end();
  })().catch(fail);

  const written = writeSetStream((queue ?? bufOut) as AsyncIterable<Buffer>, {
    write: input.write,
    writesInFlight: input.tuning.writesInFlight,
    maxTransferBytes: input.maxTransferBytes,
    blockSize: order.blockSize,
    compression: order.compression,
    encrypted: input.key !== null,
    onCommit: input.onCommit,
    onEndOfMedium: input.onEndOfMedium,
    whenRunning: () => control.whenRunning(),
    release: releaseWritten,
    meter: input.meter,
    sourceEmpty: queue
      ? () => queue.empty
      : () => !!bufOut && bufOut.readableLength === 0 && !bufOut.readableEnded,
  }).catch((error: unknown) => {
    fail(error);
    return null;
  });

  const [tarResult, mbufferResult, result] = await Promise.all([tar, mbuffer, written, walked, encoded])
    .then(([t, m, w]) => [t, m, w] as const)
    .finally(() => encoder.close());
  if (failure) throw failure;
  const stopped = control.stopReason !== null;
  if (tarResult && !stopped && (tarResult.exitCode ?? 2) > 1)
    throw new Error(
      `tar failed (exit ${tarResult.exitCode}): ${String(tarResult.stderr).trim().slice(-2000)}`,
    );
  if (mbufferResult && mbufferResult.exitCode !== 0)
    throw new Error(
      `mbuffer failed (exit ${mbufferResult.exitCode}): ${String(mbufferResult.stderr).trim()}`,
    );
  if (!result) throw new Error("the drive writer stopped without a result");
  const stages = clock.times(encoder.encoding, {
    readerPausedMs: (reader as FifoReader | null)?.pausedMs ?? 0,
    writerWaitMs: input.meter.snapshot()?.waitedMs ?? 0,
  });
  return { streamBytes: result.streamBytes, plainBytes: parser.offset, stages };
}

/**
 * The buffers tar's output is read into. Passthrough: one drive transfer each, so a full buffer is
 * written to the vtl from where it lies, as many as the in-process buffer holds. Compressed or
 * encrypted: one plain chunk each, compressed in place: the chunks in flight, the one waiting to
 * be cut and the one being read.
 */
function readPool(input: Input, encoder: SetEncoder): BufferPool {
  if (!encoder.passthrough) return new BufferPool(encoder.chunkSize, encoder.inFlight + 2, { shared: true });
  // Shared: the FIFO's reader thread fills them (docs/adr/0036).
  if (input.buffer === "mbuffer")
    return new BufferPool(MBUFFER_READ_BYTES, MBUFFER_READ_BUFFERS, { shared: true, direct: true });
  const transfer = transferBytes({ maxTransferBytes: input.maxTransferBytes?.() }, input.order.blockSize);
  const count = Math.max(4, Math.ceil(input.tuning.memoryBufferBytes / transfer));
  return new BufferPool(transfer, count, { shared: true, direct: true });
}

/** Waits for a pipe to drain; a stopped pipeline (abort) ends the wait instead of hanging on it. */
function drain(
  stream: NodeJS.WritableStream & { writableNeedDrain: boolean },
  signal: AbortSignal,
): Promise<void> {
  if (!stream.writableNeedDrain || signal.aborted) return Promise.resolve();
  return once(stream, "drain", { signal }).then(
    () => undefined,
    () => undefined,
  );
}
