import { createHash } from "node:crypto";
import { type GuestOutcome, guestDir, partSuffix, type VZDUMP_MODES } from "../../contracts/proxmox.ts";
import { spawnStreaming } from "../exec.ts";
import { TAR_BLOCK } from "../pipeline/tar-framer.ts";
import type { PveGuest } from "./discover.ts";

export type GuestTarInput = {
  guests: readonly PveGuest[];
  /** The config text of a guest (PVE's `key: value` lines), or null when it cannot be read. */
  config: (guest: PveGuest) => Promise<string | null>;
  mode: (typeof VZDUMP_MODES)[number];
  vzdump: string;
  /** Bytes of one archive part: the memory a guest's stream needs (docs/adr/0016). */
  partBytes: number;
  /** Tar record size: the archive's end is padded to it, as GNU tar pads to its blocking factor. */
  blockSize: number;
  signal: AbortSignal;
  now: () => Date;
  log: (level: "info" | "warn" | "error", message: string, path: string | null) => void;
  onGuest: (outcome: GuestOutcome) => void;
  /** A guest starts: for progress. */
  onStart?: (guest: PveGuest) => void;
};

/** vzdump's own file name for the archive it would write, uncompressed. */
export function archiveName(guest: PveGuest, at: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${at.getUTCFullYear()}_${p(at.getUTCMonth() + 1)}_${p(at.getUTCDate())}-${p(at.getUTCHours())}_${p(at.getUTCMinutes())}_${p(at.getUTCSeconds())}`;
  return `vzdump-${guest.type}-${guest.vmid}-${stamp}.${guest.type === "qemu" ? "vma" : "tar"}`;
}

/** `vzdump <vmid> --stdout 1 --mode <mode> --compress 0`: the archive on stdout, its log on stderr. */
export function vzdumpArgv(vzdump: string, vmid: number, mode: string): [string, ...string[]] {
  return [vzdump, String(vmid), "--stdout", "1", "--mode", mode, "--compress", "0"];
}

/**
 * The set's tar stream for guests, made here instead of by GNU tar: per guest its config, its
 * vzdump stream cut into parts of `partBytes` (a tar header needs the size before the content,
 * which a stream does not know), and a guest.json saying what it holds. Only one part is ever
 * held in memory; the consumer pulling this generator is what makes vzdump wait.
 */
export async function* guestTarStream(input: GuestTarInput): AsyncGenerator<Buffer> {
  let offset = 0;
  const emit = (pieces: Buffer[]) => {
    for (const p of pieces) offset += p.length;
    return pieces;
  };
  for (const guest of input.guests) {
    if (input.signal.aborted) break;
    input.onStart?.(guest);
    const dir = guestDir(guest.node, guest.type, guest.vmid);
    const mtime = Math.floor(input.now().getTime() / 1000);
    const config = await input.config(guest).catch(() => null);
    const configPath = config === null ? null : `${dir}/guest.conf`;
    if (config !== null && configPath) yield* emit(fileMember(configPath, Buffer.from(config), mtime));
    else input.log("warn", `guest ${guest.vmid} (${guest.name}): its config could not be read`, dir);

    const archive = `${dir}/${archiveName(guest, input.now())}`;
    const hash = createHash("sha256");
    let bytes = 0;
    let parts = 0;
    let error: string | null = null;
    const child = spawnStreaming({
      argv: vzdumpArgv(input.vzdump, guest.vmid, input.mode),
      stdin: "ignore",
      stdout: "pipe",
      signal: input.signal,
    });
    let stderrTail: string[] = [];
    child.stderr?.on("data", (chunk: Buffer) => {
      stderrTail = [...stderrTail, ...chunk.toString("utf8").split("\n").filter(Boolean)].slice(-20);
    });
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const part = function* (final: boolean) {
      while (pendingBytes >= input.partBytes || (final && pendingBytes > 0)) {
        const size = Math.min(pendingBytes, input.partBytes);
        const taken: Buffer[] = [];
        let need = size;
        while (need > 0) {
          const head = pending[0] as Buffer;
          if (head.length <= need) {
            taken.push(head);
            pending.shift();
            need -= head.length;
          } else {
            taken.push(head.subarray(0, need));
            pending[0] = head.subarray(need);
            need = 0;
          }
        }
        pendingBytes -= size;
        yield* emit([header(`${archive}${partSuffix(parts)}`, size, mtime), ...taken, padding(size)]);
        parts++;
      }
    };
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= input.partBytes) yield* part(false);
      }
    } catch (e) {
      error = (e as Error).message;
    }
    const result = await child;
    yield* part(true);
    pending = [];
    if (error === null && result.exitCode !== 0)
      error = `vzdump exited ${result.exitCode ?? result.signal ?? "abnormally"}: ${stderrTail.slice(-3).join(" | ") || "no message"}`;
    if (error === null && bytes === 0) error = "vzdump wrote nothing";
    if (input.signal.aborted && error === null) error = "stopped before the archive was complete";
    const outcome: GuestOutcome = {
      vmid: guest.vmid,
      type: guest.type,
      name: guest.name,
      node: guest.node,
      state: error === null ? "completed" : "failed",
      bytes,
      sha256: error === null ? hash.digest("hex") : null,
      archive,
      config: configPath,
      parts,
      error: error?.slice(0, 2000) ?? null,
    };
    yield* emit(fileMember(`${dir}/guest.json`, Buffer.from(`${JSON.stringify(outcome, null, 2)}\n`), mtime));
    input.onGuest(outcome);
    if (error === null)
      input.log(
        "info",
        `guest ${guest.vmid} (${guest.name}, ${guest.type}): ${bytes} bytes in ${parts} parts`,
        dir,
      );
    else input.log("warn", `guest ${guest.vmid} (${guest.name}, ${guest.type}) failed: ${error}`, dir);
  }
  // End of archive: two zero blocks, then zeros to the end of the record.
  const end = 2 * TAR_BLOCK;
  const total = offset + end;
  const record = Math.max(TAR_BLOCK, input.blockSize);
  yield Buffer.alloc(end + ((record - (total % record)) % record));
}

function fileMember(path: string, content: Buffer, mtime: number): Buffer[] {
  return [header(path, content.length, mtime), content, padding(content.length)];
}

function padding(size: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** A ustar header of a regular file (mode 0600, root), the name split over prefix/name. */
export function header(path: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  let name = path;
  let prefix = "";
  if (Buffer.byteLength(path) > 100) {
    const cut = path.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100)
      throw new Error(`tar path too long: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  h.write(name, 0, 100, "utf8");
  octal(h, 100, 8, 0o600);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.fill(" ", 148, 156);
  h.write("0", 156, 1, "latin1");
  h.write("ustar\u000000", 257, 8, "latin1");
  h.write("root", 265, 32, "latin1");
  h.write("root", 297, 32, "latin1");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "latin1");
  return h;
}

function octal(buf: Buffer, at: number, length: number, value: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, at, length, "latin1");
}
