import { DEFAULT_STATE_DIR } from "../config.ts";

/**
 * Every subcommand of `drive-agent`: its synopsis, what it does and each option it takes. The
 * overview (`drive-agent --help`), each `drive-agent <command> --help` and the dispatcher all
 * read this table, so a command cannot exist without its help.
 */
export interface CommandSpec {
  /** One or two words: "status", "vtl init". */
  name: string;
  /** What follows `drive-agent <name>`: positionals and options. */
  synopsis: string;
  summary: string;
  /** Option as written (`--slot S`) → what it does. */
  options: Record<string, string>;
  /** Takes a <drive> (a device, or a vtl directory with --drive N). */
  drive?: boolean;
}

const JSON_OPTION = { "--json": "machine-readable output (errors too, on stdout)" };
const DRIVE_OPTIONS = {
  "--drive N": "the drive's index when <drive> is a virtual library directory (default 0)",
  "--sg DEV": "the drive's SCSI generic device (/dev/sgN), for TapeAlert and cartridge memory",
};
const VTL_DRIVE = { "--drive N": "the library's drive (default 0)" };

export const COMMANDS: CommandSpec[] = [
  {
    name: "enroll",
    synopsis:
      "--hub URL --token T [--state-dir DIR]\n    (--vtl DIR | --drive /dev/nst0 [--sg /dev/sg1] ... [--changer /dev/sgN]) [--force]",
    summary: "enroll with a hub, once (the token comes from Agents → New agent)",
    options: {
      "--hub URL": "the hub's address, e.g. http://hub.example:8080",
      "--token T": "the one-time enrollment token (or TAPEBACKARR_ENROLLMENT_TOKEN)",
      "--state-dir DIR": `where the agent keeps its keys and settings (default ${DEFAULT_STATE_DIR})`,
      "--drive DEV": "a tape drive's non-rewinding device (/dev/nst0); repeat for each drive",
      "--sg DEV": "the SCSI generic device of each --drive, in the same order",
      "--changer DEV": "a media changer's SCSI generic device (/dev/sgN)",
      "--vtl DIR": "a virtual tape library directory instead of drives",
      "--force": "enroll again over an existing enrollment (with a new token)",
      ...JSON_OPTION,
    },
  },
  {
    name: "run",
    synopsis: "[--state-dir DIR]",
    summary: "work unattended: heartbeats, pull and run work orders (SIGTERM finishes them; twice exits)",
    options: { "--state-dir DIR": `the enrolled state directory (default ${DEFAULT_STATE_DIR})` },
  },
  {
    name: "detect",
    synopsis: "[--sys DIR]",
    summary: "list this host's tape drives and changers (vendor, model, serial, nst and sg nodes)",
    options: { "--sys DIR": "the sysfs root to read (default /sys)", ...JSON_OPTION },
  },
  {
    name: "vtl init",
    synopsis:
      "<dir> --capacity SIZE [--drives N] [--slots N] [--ie-slots N]\n    [--cartridges N] [--early-warning SIZE] [--barcode-prefix TB] [--media L9] [--cleaning N]",
    summary: "create a virtual tape library in an empty directory",
    options: {
      "--capacity SIZE": "each cartridge's capacity, e.g. 256MiB or 18TB (required)",
      "--drives N": "drives (default 1)",
      "--slots N": "storage slots (default 8)",
      "--ie-slots N": "import/export slots (default 1)",
      "--cartridges N": "cartridges, placed in the first slots (default: one per slot)",
      "--early-warning SIZE": "room left when a write reports early warning (default 2% of capacity)",
      "--barcode-prefix TB": "the barcodes' prefix (default TB: TB0001L9, TB0002L9, ...)",
      "--media L9": "the barcodes' media suffix (default L9)",
      "--cleaning N": "cleaning cartridges (CLNA0001, ...) after the data cartridges (default 0)",
      ...JSON_OPTION,
    },
  },
  {
    name: "vtl ls",
    synopsis: "<dir>",
    summary: "slots, drives and cartridges",
    options: { ...JSON_OPTION },
  },
  {
    name: "vtl load",
    synopsis: "<dir> --slot S [--drive N]",
    summary: "move a cartridge from a slot into a drive",
    options: { "--slot S": "the slot holding the cartridge", ...VTL_DRIVE, ...JSON_OPTION },
  },
  {
    name: "vtl unload",
    synopsis: "<dir> [--drive N] [--slot S]",
    summary: "move a drive's cartridge back to a slot",
    options: {
      ...VTL_DRIVE,
      "--slot S": "the slot to put it in (default: the slot it came from)",
      ...JSON_OPTION,
    },
  },
  {
    name: "vtl transfer",
    synopsis: "<dir> --from S --to S",
    summary: "move a cartridge between slots",
    options: { "--from S": "the slot holding it", "--to S": "an empty slot", ...JSON_OPTION },
  },
  {
    name: "vtl insert",
    synopsis: "<dir> <barcode> [--kind blank|foreign|cleaning] [--slot S]",
    summary: "put a cartridge into a mail slot (one taken out earlier, or a new one)",
    options: {
      "--kind K": "a new cartridge: blank (default), foreign (another program's data) or cleaning",
      "--slot S": "the import/export slot (default: the first empty one)",
      ...JSON_OPTION,
    },
  },
  {
    name: "vtl remove",
    synopsis: "<dir> --slot S",
    summary: "take a cartridge out of a mail slot (it stays on the shelf)",
    options: { "--slot S": "the import/export slot", ...JSON_OPTION },
  },
  {
    name: "vtl alert",
    synopsis: "<dir> [--drive N] [--set 20,21] [--clear 20]",
    summary: "set or clear a drive's TapeAlert flags (what sg_logs -p 0x2e would show)",
    options: {
      ...VTL_DRIVE,
      "--set CODES": "flags to raise, e.g. 20 (cleaning required)",
      "--clear CODES": "flags to clear",
      ...JSON_OPTION,
    },
  },
  {
    name: "vtl errors",
    synopsis:
      "<dir> [--drive N] [--write-corrected N] [--write-uncorrected N]\n    [--read-corrected N] [--read-uncorrected N]",
    summary: "set a drive's error counters (what sg_logs -p 0x2 / 0x3 would show)",
    options: {
      ...VTL_DRIVE,
      "--write-corrected N": "write errors corrected",
      "--write-uncorrected N": "write errors not corrected",
      "--read-corrected N": "read errors corrected",
      "--read-uncorrected N": "read errors not corrected",
      ...JSON_OPTION,
    },
  },
  {
    name: "vtl protect",
    synopsis: "<dir> <barcode> [--off]",
    summary: "set or clear a cartridge's write-protect tab",
    options: { "--off": "clear the tab (make it writable)", ...JSON_OPTION },
  },
  {
    name: "status",
    synopsis: "<drive>",
    summary: "position, flags, density (+ TapeAlert, MAM on st)",
    drive: true,
    options: { ...DRIVE_OPTIONS, ...JSON_OPTION },
  },
  {
    name: "label",
    synopsis:
      "<drive> --label NAME [--pool P] [--uuid U] [--encryption-fingerprint F]\n    [--compression none|gzip|zstd] [--force]",
    summary: "write a TapeBackarr label at the start of the tape",
    drive: true,
    options: {
      "--label NAME": "the tape's label (required)",
      "--pool P": "the pool it belongs to",
      "--uuid U": "the tape's uuid (default: a new one)",
      "--encryption-fingerprint F": "the fingerprint of the key its sets are encrypted with",
      "--compression C": "none, gzip or zstd: how its sets are compressed",
      "--force": "label a tape that holds data or another label (its data is lost)",
      ...DRIVE_OPTIONS,
      ...JSON_OPTION,
    },
  },
  {
    name: "read-label",
    synopsis: "<drive>",
    summary: "the tape's label: TapeBackarr, foreign or blank",
    drive: true,
    options: { ...DRIVE_OPTIONS, ...JSON_OPTION },
  },
  {
    name: "ls",
    synopsis: "<drive>",
    summary: "backup sets on the tape, from their TOCs",
    drive: true,
    options: { ...DRIVE_OPTIONS, ...JSON_OPTION },
  },
  {
    name: "eject",
    synopsis: "<drive>",
    summary: "rewind and eject the tape (a virtual library returns it to its slot)",
    drive: true,
    options: { ...DRIVE_OPTIONS, ...JSON_OPTION },
  },
  {
    name: "scan",
    synopsis: "<drive>",
    summary: "the label and every TOC of the tape (--json: whole TOCs)",
    drive: true,
    options: { ...DRIVE_OPTIONS, ...JSON_OPTION },
  },
  {
    name: "restore",
    synopsis:
      "--tape <drive> --set N|UUID [PATH...] --to DIR [--key-file F]\n    [--overwrite skip|overwrite|rename] [--guest VMID]",
    summary:
      "restore from the tape alone (no hub): a whole set, or the files and directories named as in its TOC",
    drive: true,
    options: {
      "--tape DRIVE": "the drive (or virtual library directory) holding the set's first tape",
      "--set N|UUID": "the set: its number on the tape (1, 2, ...) or its uuid",
      "--to DIR": "where to restore to (created when missing)",
      "--key-file F":
        "the data key of an encrypted set (32 bytes, hex / base64 text, or a key sheet's tbkey1 line)",
      "--passphrase-file P": "the passphrase of a tbkey1 key file (else asked at the terminal)",
      "--overwrite P": "skip (default), overwrite or rename files that exist",
      "--guest VMID": "a Proxmox guest's vzdump archive, joined from its parts into one file in DIR",
      "--drive N": DRIVE_OPTIONS["--drive N"],
      ...JSON_OPTION,
    },
  },
  {
    name: "restore-catalog",
    synopsis: "--tape <drive> --to DATA_DIR [--key-file F --passphrase-file P] [--force]",
    summary:
      "find the newest catalog backup on the tape and restore it as DATA_DIR/tapebackarr.db, for a new hub to start on",
    drive: true,
    options: {
      "--tape DRIVE": "the drive (or virtual library directory) holding the tape",
      "--to DATA_DIR": "the new hub's data directory (its DATA_DIR)",
      "--key-file F": "the pool key when the catalog set is encrypted (a key sheet's tbkey1 line)",
      "--passphrase-file P": "the passphrase of a tbkey1 key file (else asked at the terminal)",
      "--force": "replace a tapebackarr.db that is already there",
      "--drive N": DRIVE_OPTIONS["--drive N"],
      ...JSON_OPTION,
    },
  },
  {
    name: "verify",
    synopsis: "--tape <drive> --set N|UUID [--key-file F]",
    summary: "read a set back and check every sha256 against its TOC",
    drive: true,
    options: {
      "--tape DRIVE": "the drive (or virtual library directory) holding the set's first tape",
      "--set N|UUID": "the set: its number on the tape (1, 2, ...) or its uuid",
      "--key-file F":
        "the data key of an encrypted set (32 bytes, hex / base64 text, or a key sheet's tbkey1 line)",
      "--passphrase-file P": "the passphrase of a tbkey1 key file (else asked at the terminal)",
      "--drive N": DRIVE_OPTIONS["--drive N"],
      ...JSON_OPTION,
    },
  },
];

const HELP_OPTION = "-h, --help";
const DRIVE_NOTE = `<drive> is a non-rewinding device (/dev/nst0, add --sg /dev/sgN for TapeAlert and cartridge
memory) or a virtual library directory with --drive N (default 0).`;
const FOOTER = `${DRIVE_NOTE}
Sizes: 256MiB, 1GiB, 18TB. Add --json to any command but run for machine-readable output.
Exit codes: 0 ok, 1 operator action needed, 2 usage error, 75 temporary (retry).
`;

/** The command `argv` names (`vtl init` takes two words), or undefined. */
export function findCommand(argv: readonly string[]): CommandSpec | undefined {
  const two = argv.slice(0, 2).join(" ");
  return COMMANDS.find((c) => c.name === two) ?? COMMANDS.find((c) => c.name === argv[0]);
}

/** `drive-agent --help`: every command with its synopsis and what it does. */
export function overviewHelp(): string {
  const lines = ["drive-agent: TapeBackarr's tape host agent", "", "Usage:"];
  for (const command of COMMANDS) {
    lines.push(`  drive-agent ${command.name} ${indent(command.synopsis, command.name.length + 15)}`);
    lines.push(`      ${command.summary}`);
  }
  lines.push(
    "  drive-agent help <command>",
    "      the options of one command (or: drive-agent <command> --help)",
    "",
  );
  return `${lines.join("\n")}\n${FOOTER}`;
}

/** `drive-agent <command> --help`: its synopsis and every option it takes. */
export function commandHelp(command: CommandSpec): string {
  const options = Object.entries({ ...command.options, [HELP_OPTION]: "show this text" });
  const width = Math.max(...options.map(([flag]) => flag.length)) + 2;
  return [
    `Usage: drive-agent ${command.name} ${indent(command.synopsis, command.name.length + 20)}`,
    "",
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    "",
    "Options:",
    ...options.map(([flag, what]) => `  ${flag.padEnd(width)}${what}`),
    ...(command.drive ? ["", DRIVE_NOTE] : []),
    "",
  ].join("\n");
}

/** `drive-agent vtl --help`: the library's subcommands. */
export function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return [
    `Usage: drive-agent ${group} <command> ...`,
    "",
    ...members.map((c) => `  drive-agent ${c.name} ${c.synopsis.split("\n")[0]}\n      ${c.summary}`),
    "",
    `drive-agent ${group} <command> --help shows a command's options.`,
    "",
  ].join("\n");
}

/** Continuation lines of a synopsis, lined up under the first. */
function indent(synopsis: string, by: number): string {
  return synopsis.replaceAll("\n    ", `\n${" ".repeat(by)}`);
}
