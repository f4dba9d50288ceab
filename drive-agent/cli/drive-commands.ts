import type { TapeLabel } from "../../contracts/label.ts";
import type { Drive } from "../drives/drive.ts";
import { openDrive } from "../drives/open-drive.ts";
import { StDrive } from "../drives/st/st-drive.ts";
import { VtlDrive } from "../drives/vtl/vtl-drive.ts";
import { labelTape, readTapeLabel, type TapeIdentity } from "../tape/label-tape.ts";
import { listTape } from "../tape/list-tape.ts";
import { type Output, UsageError } from "./output.ts";
import { formatSize } from "./parse-size.ts";

type Args = { positionals: string[]; values: Record<string, string | boolean | undefined> };

export async function runDriveCommand(command: string, args: Args, out: Output): Promise<void> {
  const path = args.positionals[0];
  if (!path) throw new UsageError(`${command}: name a drive: /dev/nstN, or a vtl directory with --drive N`);
  const index = args.values.drive === undefined ? 0 : Number(args.values.drive);
  if (!Number.isInteger(index) || index < 0) throw new UsageError("--drive needs a drive index (0, 1, ...)");
  const sg = typeof args.values.sg === "string" ? args.values.sg : null;
  const drive = await openDrive({ path, driveIndex: index, sgDevice: sg });
  try {
    await commands[command]?.(drive, args, out);
  } finally {
    await drive.close();
  }
}

const commands: Record<string, (drive: Drive, args: Args, out: Output) => Promise<void>> = {
  async status(drive, _args, out) {
    const status = await drive.status();
    const extra = drive instanceof StDrive ? await stExtras(drive) : {};
    const counters = drive instanceof VtlDrive ? drive.counters() : undefined;
    const flags = Object.entries(status.flags)
      .filter(([, on]) => on)
      .map(([flag]) => flag);
    const lines = [
      `${drive.name}: ${status.flags.online ? `cartridge ${status.barcode ?? "(no barcode)"} online` : status.flags.doorOpen ? "no cartridge" : `cartridge ${status.barcode ?? ""} not ready`}`,
      `  position: file ${status.fileNumber}, block ${status.blockNumber}${status.fileNumber === -1 ? " (unknown until rewind or space)" : ""}`,
      `  block size: ${status.blockSize === 0 ? "variable" : formatSize(status.blockSize)}; density: ${status.densityCode === null ? "-" : `0x${status.densityCode.toString(16)}`} (${status.generation ?? "unknown"})`,
      `  flags: ${flags.join(" ") || "-"}`,
    ];
    if (counters)
      lines.push(
        `  transferred: ${counters.blocksWritten} blocks written, ${counters.blocksRead} blocks read`,
      );
    out.print(lines.join("\n"), { drive: drive.name, ...status, ...extra, counters });
  },

  async "read-label"(drive, _args, out) {
    const identity = await readTapeLabel(drive);
    out.print(`${drive.name}: ${describeIdentity(identity)}`, { drive: drive.name, ...identity });
  },

  async label(drive, args, out) {
    const label = args.values.label ?? args.positionals[1];
    if (typeof label !== "string") throw new UsageError("label: --label NAME is required");
    const compression = args.values.compression;
    if (compression !== undefined && !["none", "gzip", "zstd"].includes(String(compression))) {
      throw new UsageError("--compression must be none, gzip or zstd");
    }
    const result = await labelTape(drive, {
      label,
      pool: str(args.values.pool),
      uuid: str(args.values.uuid),
      encryptionFingerprint: str(args.values["encryption-fingerprint"]),
      compression: compression as TapeLabel["compression"] | undefined,
      force: args.values.force === true,
    });
    const replaced =
      result.previous.kind === "blank" ? "" : ` (replaced: ${describeIdentity(result.previous)})`;
    out.print(
      `${drive.name}: wrote label "${result.label.label}" uuid ${result.label.uuid} at file 0${replaced}`,
      {
        drive: drive.name,
        label: result.label,
        previous: result.previous,
      },
    );
  },

  async ls(drive, _args, out) {
    const listing = await listTape(drive);
    const lines = [`${drive.name}: ${describeIdentity(listing.identity)}`];
    for (const set of listing.sets) {
      const { toc } = set;
      lines.push(
        `  set ${toc.setId} (job ${toc.job.name}) files ${set.dataFile}+${set.tocFile}: ${toc.files.length} entries, ${formatSize(toc.dataBytes)}, ${toc.compression}, tape ${toc.tape.sequence}${toc.tape.continues ? " (continues)" : ""}, finished ${toc.finishedAt}`,
      );
    }
    for (const plain of listing.plainFiles) {
      lines.push(
        `  file ${plain.file}: no TOC; tar lists ${plain.entries.length} entries${plain.tarError ? ` (tar: ${plain.tarError})` : ""}`,
      );
      for (const entry of plain.entries) lines.push(`    ${entry}`);
    }
    if (listing.identity.kind !== "blank" && listing.sets.length + listing.plainFiles.length === 0)
      lines.push("  no backup sets");
    out.print(lines.join("\n"), { drive: drive.name, ...listing });
  },

  async scan(drive, _args, out) {
    const listing = await listTape(drive);
    const lines = [`${drive.name}: ${describeIdentity(listing.identity)}`];
    for (const [n, set] of listing.sets.entries()) {
      const { toc } = set;
      lines.push(
        `set ${n + 1}: ${toc.setId} job "${toc.job.name}" (${toc.job.id}), tape ${toc.tape.sequence}${toc.tape.continues ? " (continues on the next tape)" : ""}, data file ${set.dataFile}, ${toc.compression}, ${toc.encryption.algorithm === "none" ? "not encrypted" : `encrypted, key ${toc.encryption.keyFingerprint}`}, ${set.complete ? "complete" : "INCOMPLETE"}, ${toc.startedAt} .. ${toc.finishedAt}`,
      );
      for (const f of toc.files)
        lines.push(
          `  ${f.type.padEnd(9)} ${f.mode} ${String(f.size).padStart(12)} ${f.mtime} ${f.path}${f.linkTarget ? ` -> ${f.linkTarget}` : ""}`,
        );
    }
    for (const plain of listing.plainFiles)
      lines.push(
        `file ${plain.file}: no TOC (plain tar or an interrupted set); tar lists ${plain.entries.length} entries`,
      );
    out.print(lines.join("\n"), { drive: drive.name, ...listing });
  },

  async eject(drive, _args, out) {
    const before = await drive.status();
    await drive.eject();
    const where = drive instanceof VtlDrive ? " and returned it to its slot" : "";
    out.print(`${drive.name}: rewound and ejected ${before.barcode ?? "the cartridge"}${where}`, {
      drive: drive.name,
      barcode: before.barcode,
    });
  },
};

export const driveCommandNames = Object.keys(commands);

function describeIdentity(identity: TapeIdentity): string {
  if (identity.kind === "blank") return "blank tape (nothing written)";
  if (identity.kind === "foreign")
    return `no TapeBackarr label; ${identity.filesOnTape} tape file(s); starts with "${identity.preview}"`;
  const { label } = identity;
  const when = new Date(label.timestamp * 1000).toISOString();
  const parts = [
    `label "${label.label}"`,
    label.uuid && `uuid ${label.uuid}`,
    label.pool && `pool ${label.pool}`,
    `written ${when}`,
  ];
  if (label.encryptionFingerprint) parts.push(`key ${label.encryptionFingerprint}`);
  if (label.compression) parts.push(`compression ${label.compression}`);
  if (label.form === "short") parts.push("(short Go TapeBackarr label)");
  return `${parts.filter(Boolean).join(", ")}; ${identity.filesOnTape} tape file(s)`;
}

async function stExtras(drive: StDrive) {
  const [tapeAlerts, cartridgeMemory] = await Promise.all([
    drive.tapeAlerts().catch((error: Error) => ({ unavailable: error.message })),
    drive.cartridgeMemory().catch((error: Error) => ({ unavailable: error.message })),
  ]);
  return { tapeAlerts, cartridgeMemory };
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}
