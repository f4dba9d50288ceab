import { once } from "node:events";
import type { BackupOrderBody } from "../../../contracts/agent-protocol.ts";
import type { WriteOutcome } from "../../drives/drive.ts";
import { spawnStreaming } from "../../exec.ts";
import { ByteQueue } from "../../pipeline/byte-queue.ts";
import { writeSetStream } from "../../pipeline/drive-writer.ts";
import { ManifestBaseline, type ManifestWriter } from "../../pipeline/manifest.ts";
import type { SetEncoder } from "../../pipeline/set-encoder.ts";
import { type TarMember, TarParser } from "../../pipeline/tar-parser.ts";
import { mbufferArgv, parseTarDiagnostic, tarCreateArgv } from "../../pipeline/tar-process.ts";
import { type WalkTotals, walkSources } from "../../pipeline/walk-source.ts";
import type { RunControl } from "./run-control.ts";
import type { BackupTuning } from "./tuning.ts";

export type SetStreamResult = { streamBytes: number; plainBytes: number };

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
  encoder: (sink: (data: Buffer[]) => Promise<void> | void) => SetEncoder;
  write: (data: Buffer) => Promise<WriteOutcome>;
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
};

const LIST_BATCH_BYTES = 64 << 10;

/**
 * source walk → tar (reads each file once) → tar header parser + sha256 → chunk, compress, encrypt
 * → mbuffer → drive. Every stage is held back by the one after it, so memory stays flat and a
 * paused drive writer stops tar. A stop request ends the walk and tar; what tar produced still
 * reaches the tape, so the set ends cleanly.
 */
export async function streamSet(input: Input): Promise<SetStreamResult> {
  const { order, control } = input;
  const abort = new AbortController();
  const tar = input.producer
    ? null
    : spawnStreaming({ argv: tarCreateArgv(order.blockSize), stdin: "pipe", stdout: "pipe" });
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
  const tarOut = input.producer ?? tar?.stdout;
  if ((tar && !tarIn) || !tarOut) throw new Error("tar needs piped stdin and stdout");
  const bufIn = mbuffer?.stdin;
  const bufOut = mbuffer?.stdout;
  if (mbuffer && (!bufIn || !bufOut)) throw new Error("mbuffer needs piped stdin and stdout");
  tarIn?.on("error", () => undefined);
  bufIn?.on("error", () => undefined);

  let failure: unknown = null;
  const fail = (error: unknown) => {
    failure ??= error;
    abort.abort();
    tar?.kill();
    mbuffer?.kill();
    queue?.fail(error);
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

  // The walk feeds tar's member list.
  const walked = (async () => {
    if (!tarIn) return;
    const baseline = input.baseManifest ? new ManifestBaseline(input.baseManifest) : null;
    let batch: string[] = [];
    let batchBytes = 0;
    const flush = () => {
      const ok = tarIn.write(batch.join(""));
      batch = [];
      batchBytes = 0;
      return ok;
    };
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
      drained: () => drain(tarIn, abort.signal),
      onWarning: (message, path) => control.addLog("warn", message, path),
      signal: abort.signal,
    }).finally(() => baseline?.close());
    if (batch.length > 0) flush();
    tarIn.end();
    input.onTotals(totals);
  })().catch(fail);

  // tar's output: parsed in place, then handed to the encoder, whose output goes into mbuffer.
  const parser = new TarParser(input.onMember);
  input.onParser(parser);
  const encoder = input.encoder((data) => {
    if (queue) return queue.push(data);
    if (!bufIn) return;
    let ok = true;
    for (const piece of data) ok = bufIn.write(piece);
    if (!ok) return drain(bufIn, abort.signal);
  });
  const encoded = (async () => {
    for await (const chunk of tarOut as AsyncIterable<Buffer>) {
      parser.push(chunk);
      input.onBytes(parser.offset);
      if (!encoder.push(chunk)) await encoder.drained();
    }
    await encoder.finish();
    if (queue) queue.end();
    else bufIn?.end();
  })().catch(fail);

  const written = writeSetStream((queue ?? bufOut) as AsyncIterable<Buffer>, {
    write: input.write,
    maxTransferBytes: input.maxTransferBytes,
    blockSize: order.blockSize,
    compression: order.compression,
    encrypted: input.key !== null,
    onCommit: input.onCommit,
    onEndOfMedium: input.onEndOfMedium,
    whenRunning: () => control.whenRunning(),
  }).catch((error: unknown) => {
    fail(error);
    return null;
  });

  const [tarResult, mbufferResult, result] = await Promise.all([tar, mbuffer, written, walked, encoded]).then(
    ([t, m, w]) => [t, m, w] as const,
  );
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
  return { streamBytes: result.streamBytes, plainBytes: parser.offset };
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
