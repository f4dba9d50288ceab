import { parseArgs } from "node:util";
import { driveCommandNames, runDriveCommand } from "./cli/drive-commands.ts";
import { runEnrollCommand } from "./cli/enroll-command.ts";
import { createOutput, reportError, UsageError } from "./cli/output.ts";
import { runRestoreCommand } from "./cli/restore-command.ts";
import { runRunCommand } from "./cli/run-command.ts";
import { runVtlCommand } from "./cli/vtl-commands.ts";

const HELP = `drive-agent: TapeBackarr's tape host agent

Usage:
  drive-agent enroll --hub URL --token T [--state-dir DIR]
                     (--vtl DIR | --drive /dev/nst0 [--sg /dev/sg1] ... [--changer /dev/sgN]) [--force]
                                                   enroll with a hub (token from Agents → New agent)
  drive-agent run [--state-dir DIR]                work unattended: heartbeats, pull and run work orders
                                                   (state dir default /var/lib/tapebackarr-agent)

  drive-agent vtl init <dir> --capacity SIZE [--drives N] [--slots N] [--ie-slots N]
                       [--cartridges N] [--early-warning SIZE] [--barcode-prefix TB] [--media L9]
  drive-agent vtl ls <dir>                         slots, drives and cartridges
  drive-agent vtl load <dir> --slot S [--drive N]  move a cartridge into a drive
  drive-agent vtl unload <dir> [--drive N] [--slot S]
  drive-agent vtl transfer <dir> --from S --to S
  drive-agent vtl protect <dir> <barcode> [--off]  set or clear the write-protect tab

  drive-agent status <drive>                       position, flags, density (+ TapeAlert, MAM on st)
  drive-agent label <drive> --label NAME [--pool P] [--uuid U] [--encryption-fingerprint F]
                    [--compression none|gzip|zstd] [--force]
  drive-agent read-label <drive>
  drive-agent ls <drive>                           backup sets on the tape, from their TOCs
  drive-agent eject <drive>
  drive-agent scan <drive>                         the label and every TOC of the tape (--json: whole TOCs)

  drive-agent restore --tape <drive> --set N|UUID [PATH...] --to DIR [--key-file F]
                      [--overwrite skip|overwrite|rename]
                                                   restore from the tape alone (no hub): a whole set, or
                                                   the files and directories named as in its TOC
  drive-agent verify --tape <drive> --set N|UUID [--key-file F]
                                                   read a set back and check every sha256 against its TOC

<drive> is a non-rewinding device (/dev/nst0, add --sg /dev/sgN for TapeAlert and cartridge
memory) or a virtual library directory with --drive N (default 0).
Sizes: 256MiB, 1GiB, 18TB. Add --json to any command for machine-readable output.
Exit codes: 0 ok, 1 operator action needed, 2 usage error, 75 temporary (retry).
`;

const options = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  force: { type: "boolean" },
  off: { type: "boolean" },
  drive: { type: "string" },
  drives: { type: "string" },
  slot: { type: "string" },
  slots: { type: "string" },
  "ie-slots": { type: "string" },
  cartridges: { type: "string" },
  capacity: { type: "string" },
  "early-warning": { type: "string" },
  "barcode-prefix": { type: "string" },
  media: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  sg: { type: "string" },
  label: { type: "string" },
  pool: { type: "string" },
  uuid: { type: "string" },
  "encryption-fingerprint": { type: "string" },
  compression: { type: "string" },
  tape: { type: "string" },
  set: { type: "string" },
  "key-file": { type: "string" },
  overwrite: { type: "string" },
} as const;

export async function main(argv: string[]): Promise<number> {
  let json = argv.includes("--json");
  try {
    // enroll and run have options of their own (--drive is a device there, an index elsewhere).
    if (argv[0] === "enroll") {
      await runEnrollCommand(argv.slice(1), createOutput(json));
      return 0;
    }
    if (argv[0] === "run") {
      const code = await runRunCommand(argv.slice(1));
      // Idle keep-alive sockets to the hub must not hold a stopping agent open.
      process.exit(code);
    }
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    json = values.json === true;
    const [command, ...rest] = positionals;
    if (values.help || !command || command === "help") {
      process.stdout.write(HELP);
      return command || values.help ? 0 : 2;
    }
    const out = createOutput(json);
    if (command === "vtl") {
      const [sub, ...vtlArgs] = rest;
      await runVtlCommand(sub, { positionals: vtlArgs, values }, out);
      return 0;
    }
    if (command === "restore" || command === "verify")
      return await runRestoreCommand(command, { positionals: rest, values }, out);
    if (!driveCommandNames.includes(command)) throw new UsageError(`unknown command "${command}"`);
    await runDriveCommand(command, { positionals: rest, values }, out);
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      return reportError(new UsageError((error as Error).message), json);
    }
    return reportError(error, json);
  }
}

process.exitCode = await main(process.argv.slice(2));
