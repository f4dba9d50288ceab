import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import {
  KEY_EXPORT_PREFIX,
  KeyExportError,
  parseWrappedKey,
  unwrapWithPassphrase,
} from "../../contracts/key-export.ts";
import { nodeScrypt } from "../../contracts/scrypt-node.ts";
import type { Drive } from "../drives/drive.ts";
import { openDrive } from "../drives/open-drive.ts";
import { isLibrary } from "../drives/vtl/library.ts";
import { DriveError } from "../errors.ts";
import { restoreSet, type Selected } from "../orders/restore/restore-set.ts";
import { pathMatcher, pickSet, TapeSetSource } from "../orders/restore/tape-set-source.ts";
import type { ExpectedMember, FileOutcome, OverwritePolicy } from "../orders/restore/tar-extract.ts";
import type { TapeChanger } from "../orders/types.ts";
import { openOrderDrive } from "../runtime/order-drive.ts";
import { listTape } from "../tape/list-tape.ts";
import { type Output, UsageError } from "./output.ts";

type Args = { positionals: string[]; values: Record<string, string | boolean | undefined> };

/**
 * `restore` and `verify` from the tape alone: label, TOCs and data, no hub and no catalog.
 * Returns the exit code: 1 when any file failed (each one is named).
 */
export async function runRestoreCommand(
  command: "restore" | "verify",
  args: Args,
  out: Output,
): Promise<number> {
  const tape = typeof args.values.tape === "string" ? args.values.tape : args.positionals.shift();
  if (!tape)
    throw new UsageError(
      `${command}: name the drive with --tape /dev/nstN, or a vtl directory with --drive N`,
    );
  const ref = args.values.set;
  if (typeof ref !== "string")
    throw new UsageError(`${command}: --set N (its number on the tape) or --set UUID is required`);
  const to = args.values.to;
  if (command === "restore" && typeof to !== "string") throw new UsageError("restore: --to DIR is required");
  const overwrite = String(args.values.overwrite ?? "skip");
  if (!["skip", "overwrite", "rename"].includes(overwrite))
    throw new UsageError("--overwrite must be skip, overwrite or rename");
  const index = args.values.drive === undefined ? 0 : Number(args.values.drive);
  if (!Number.isInteger(index) || index < 0) throw new UsageError("--drive needs a drive index (0, 1, ...)");
  let key =
    typeof args.values["key-file"] === "string"
      ? await readKeyFile(args.values["key-file"], args.values["passphrase-file"])
      : null;

  const { drive, changer } = await openTapeDrive(tape, index);
  try {
    const listing = await listTape(drive);
    const found = pickSet(listing.sets, ref);
    const { toc } = found;
    const encrypted = toc.encryption.algorithm !== "none";
    // The key wrapped with the operator's passphrase, in the TOC: the tape and the passphrase suffice.
    if (encrypted && !key && toc.encryption.wrappedKey)
      key = await unwrapKeyText(
        toc.encryption.wrappedKey,
        args.values["passphrase-file"],
        `set ${toc.setId}`,
      );
    if (encrypted && !key)
      throw new UsageError(
        `set ${toc.setId} is encrypted (key ${toc.encryption.keyFingerprint ?? "?"}) and its TOC carries no wrapped key: pass --key-file`,
      );
    const source = new TapeSetSource(drive, toc.setId, changer, askOperator);
    source.adopt(found, (await drive.status()).barcode);
    const guest = typeof args.values.guest === "string" ? Number(args.values.guest) : null;
    if (guest !== null) {
      if (command !== "restore" || !Number.isInteger(guest) || guest < 100)
        throw new UsageError("--guest needs a guest id (100 or more) and restore --to DIR");
      return await restoreGuestArchive(source, guest, await prepareDestination(String(to)), {
        shape: {
          uuid: toc.setId,
          compression: toc.compression,
          key: encrypted ? key : null,
          blockSize: toc.blockSize,
        },
        overwrite: overwrite === "overwrite",
        out,
      });
    }
    const paths = args.positionals;
    const selection = command === "restore" && paths.length > 0 ? await select(source, paths) : "all";
    const destination = command === "restore" ? await prepareDestination(String(to)) : null;
    const failed: FileOutcome[] = [];
    let done = 0;
    const summary = await restoreSet({
      source,
      shape: {
        uuid: toc.setId,
        compression: toc.compression,
        key: encrypted ? key : null,
        blockSize: toc.blockSize,
      },
      selection,
      expectedAt: expectedFromTocs(source),
      destination,
      overwrite: overwrite as OverwritePolicy,
      owners: process.getuid?.() === 0,
      onFile: (result) => {
        done++;
        if (result.outcome === "failed") {
          failed.push(result);
          if (!out.json) process.stderr.write(`FAILED ${result.path}: ${result.error}\n`);
        } else if (result.outcome === "skipped" && !out.json)
          process.stderr.write(`skipped ${result.path}: ${result.error}\n`);
      },
    });
    const what =
      command === "restore"
        ? `restored ${summary.restored} to ${destination}`
        : `verified ${summary.restored}`;
    const lines = [
      `set ${toc.setId} (job ${toc.job.name}): ${what}, skipped ${summary.skipped}, failed ${summary.failed}`,
      ...summary.errors.map((e) => `  error: ${e}`),
      ...failed.map((f) => `  failed: ${f.path}`),
    ];
    out.print(lines.join("\n"), { setId: toc.setId, files: done, ...summary, failedFiles: failed });
    return summary.failed > 0 || summary.errors.length > 0 ? 1 : 0;
  } finally {
    await drive.close();
  }
}

/**
 * `restore --guest VMID`: the parts of that guest's archive in the set (from every tape's TOC),
 * read in order and joined into one file named as vzdump names it, checked part by part.
 */
async function restoreGuestArchive(
  source: TapeSetSource,
  vmid: number,
  dir: string,
  opts: { shape: Parameters<typeof restoreSet>[0]["shape"]; overwrite: boolean; out: Output },
): Promise<number> {
  await loadAllSegments(source);
  const part = new RegExp(`^proxmox/[^/]+/(qemu|lxc)-${vmid}/(vzdump-[^/]+)\\.\\d{6}$`);
  const selected: Selected[] = [];
  let name: string | null = null;
  for (const { toc, layout } of source.segments.values())
    for (const file of toc.files) {
      const m = part.exec(file.path);
      if (!m) continue;
      name = m[2] as string;
      selected.push({
        path: file.path,
        offset: file.position.byteOffset,
        sha256: file.sha256,
        size: file.size,
        segment: layout.seq,
      });
    }
  if (!name || selected.length === 0)
    throw new DriveError("NOT_FOUND", `set ${source.setId} holds no archive of guest ${vmid}`);
  selected.sort((a, b) => a.offset - b.offset);
  const target = join(dir, name);
  if (!opts.overwrite && (await stat(target).catch(() => null)))
    throw new UsageError(`${target} exists; pass --overwrite overwrite to replace it`);
  const file = createWriteStream(`${target}.partial`, { mode: 0o600 });
  const failed: string[] = [];
  let bytes = 0;
  const summary = await restoreSet({
    source,
    shape: opts.shape,
    selection: selected,
    destination: null,
    overwrite: "skip",
    owners: false,
    onContent: async (data) => {
      bytes += data.length;
      if (!file.write(data)) await once(file, "drain");
    },
    onFile: (r) => {
      if (r.outcome === "failed") failed.push(`${r.path}: ${r.error}`);
    },
  });
  file.end();
  await once(file, "close");
  const problems = [...failed, ...summary.errors];
  if (problems.length > 0) {
    await rm(`${target}.partial`, { force: true });
    opts.out.print(`guest ${vmid}: not restored\n${problems.map((p) => `  failed: ${p}`).join("\n")}`, {
      vmid,
      problems,
    });
    return 1;
  }
  await rename(`${target}.partial`, target);
  opts.out.print(`guest ${vmid}: ${bytes} bytes in ${selected.length} parts written to ${target}`, {
    vmid,
    archive: target,
    bytes,
    parts: selected.length,
  });
  return 0;
}

/** Every tape of the set's TOC, loading the others when it spans. */
async function loadAllSegments(source: TapeSetSource): Promise<void> {
  const [first] = source.segments.values();
  if (!first) return;
  for (let seq = first.layout.seq - 1; seq >= 0; seq--) await source.find(seq);
  let last = first;
  while (last.layout.continues) last = await source.find(last.layout.seq + 1);
}

/** A vtl drive comes with the library's changer, so a spanning set's next tape is loaded by itself. */
export async function openTapeDrive(
  path: string,
  index: number,
): Promise<{ drive: Drive; changer: TapeChanger | null }> {
  if (await isLibrary(path))
    return openOrderDrive(
      { kind: "vtl", library: path, index },
      { kind: "vtl", library: path },
      new AbortController().signal,
    );
  return { drive: await openDrive({ path }), changer: null };
}

/** The requested paths, from the TOCs of every tape of the set (loading the others when it spans). */
async function select(source: TapeSetSource, paths: string[]): Promise<Selected[]> {
  const [first] = source.segments.values();
  if (!first) return [];
  for (let seq = first.layout.seq - 1; seq >= 0; seq--) await source.find(seq);
  let last = first;
  while (last.layout.continues) last = await source.find(last.layout.seq + 1);
  const matches = pathMatcher(paths);
  const selected: Selected[] = [];
  for (const { toc, layout } of source.segments.values())
    for (const file of toc.files)
      if (matches(file.path))
        selected.push({
          path: file.path,
          offset: file.position.byteOffset,
          sha256: file.sha256,
          size: file.size,
          segment: layout.seq,
        });
  if (selected.length === 0)
    throw new DriveError(
      "NOT_FOUND",
      `nothing in set ${source.setId} matches ${paths.join(", ")} (paths are as in the TOC, e.g. "home/alice/notes.txt")`,
    );
  return selected.sort((a, b) => a.offset - b.offset);
}

function expectedFromTocs(source: TapeSetSource): (offset: number) => ExpectedMember | null {
  const byOffset = new Map<number, ExpectedMember>();
  let indexed = 0;
  return (offset) => {
    if (source.segments.size !== indexed) {
      indexed = source.segments.size;
      for (const { toc } of source.segments.values())
        for (const f of toc.files)
          byOffset.set(f.position.byteOffset, {
            path: f.path,
            offset: f.position.byteOffset,
            sha256: f.sha256,
            size: f.size,
          });
    }
    return byOffset.get(offset) ?? null;
  };
}

async function prepareDestination(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return realpath(dir);
}

/**
 * A data key file holds the 32 raw bytes, the same as base64 or hex text, or the key wrapped with
 * a passphrase (a key sheet's `tbkey1.` line), which --passphrase-file or the terminal unlocks
 * (docs/tape-format.md, "Keys").
 */
export async function readKeyFile(path: string, passphraseFile?: unknown): Promise<Uint8Array> {
  const bytes = await readFile(path);
  if (bytes.length === 32) return bytes;
  const text = bytes.toString("utf8").trim();
  if (text.startsWith(`${KEY_EXPORT_PREFIX}.`)) return unwrapKeyText(text, passphraseFile, path);
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  const decoded = Buffer.from(text, "base64");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text) && decoded.length === 32) return decoded;
  throw new UsageError(`${path} is not a data key: expected 32 raw bytes, or 64 hex / 44 base64 characters`);
}

/** A `tbkey1.` line (a key file's, or the one in a TOC) unwrapped with the operator's passphrase. */
async function unwrapKeyText(text: string, passphraseFile: unknown, where: string): Promise<Uint8Array> {
  const passphrase =
    typeof passphraseFile === "string"
      ? (await readFile(passphraseFile, "utf8")).replace(/\r?\n$/, "")
      : await askPassphrase(parseWrappedKey(text).fingerprint);
  try {
    return (await unwrapWithPassphrase({ text, passphrase, scrypt: nodeScrypt })).key;
  } catch (error) {
    if (error instanceof KeyExportError) throw new UsageError(`${where}: ${error.message}`);
    throw error;
  }
}

async function askPassphrase(fingerprint: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new UsageError(`the key file is passphrase-wrapped (key ${fingerprint}): pass --passphrase-file`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Nothing typed is echoed: the prompt is written once, the keystrokes are not.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  process.stderr.write(`passphrase for key ${fingerprint}: `);
  try {
    return await rl.question("");
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

/** Asks at a terminal; without one the operator must insert the tape and run the command again. */
async function askOperator(message: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw new DriveError("NO_CARTRIDGE", `${message}, then run the same command again`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    await rl.question(`${message}, then press Enter: `);
  } finally {
    rl.close();
  }
}
