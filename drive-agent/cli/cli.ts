import { parseArgs } from "node:util";
import { detectHardware } from "../runtime/detect.ts";
import { COMMANDS, commandHelp, findCommand, groupHelp, overviewHelp } from "./commands.ts";
import { describeDetected } from "./detect-output.ts";
import { driveCommandNames, runDriveCommand } from "./drive-commands.ts";
import { runEnrollCommand } from "./enroll-command.ts";
import { createOutput, reportError, UsageError } from "./output.ts";
import { runRestoreCatalogCommand } from "./restore-catalog-command.ts";
import { runRestoreCommand } from "./restore-command.ts";
import { runRunCommand } from "./run-command.ts";
import { runVtlCommand } from "./vtl-commands.ts";

/** The options of every command but enroll and run, which parse their own. */
export const sharedOptions = {
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
  "passphrase-file": { type: "string" },
  overwrite: { type: "string" },
  cleaning: { type: "string" },
  kind: { type: "string" },
  clear: { type: "string" },
  "write-corrected": { type: "string" },
  "write-uncorrected": { type: "string" },
  "read-corrected": { type: "string" },
  "read-uncorrected": { type: "string" },
  sys: { type: "string" },
  guest: { type: "string" },
} as const;

/** `drive-agent ...argv`; returns the exit code. Help goes to `write` (stdout). */
export async function runCli(
  argv: string[],
  write: (text: string) => void = (text) => void process.stdout.write(text),
): Promise<number> {
  let json = argv.includes("--json");
  try {
    const help = helpFor(argv);
    if (help) {
      write(help.text);
      return help.code;
    }
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
    const { values, positionals } = parseArgs({
      args: argv,
      options: sharedOptions,
      allowPositionals: true,
      strict: true,
    });
    json = values.json === true;
    const [command = "", ...rest] = positionals;
    if (!findCommand(positionals)) throw new UsageError(unknownCommand(positionals));
    const out = createOutput(json);
    if (command === "vtl") {
      const [sub, ...vtlArgs] = rest;
      await runVtlCommand(sub, { positionals: vtlArgs, values }, out);
      return 0;
    }
    if (command === "detect") {
      const found = await detectHardware(typeof values.sys === "string" ? values.sys : undefined);
      out.print(describeDetected(found), found);
      return 0;
    }

    if (command === "restore-catalog")
      return await runRestoreCatalogCommand({ positionals: rest, values }, out);
    if (command === "restore" || command === "verify")
      return await runRestoreCommand(command, { positionals: rest, values }, out);
    if (!driveCommandNames.includes(command)) throw new UsageError(unknownCommand(positionals));
    await runDriveCommand(command, { positionals: rest, values }, out);
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      return reportError(new UsageError((error as Error).message), json);
    }
    return reportError(error, json);
  }
}

const HELP_FLAGS = new Set(["--help", "-h"]);

/**
 * What `argv` asks help for, if it does: `help [command]`, `--help`, or `<command> ... --help`
 * (a `--help` after `--` is a path, not a flag). No arguments at all is a usage error.
 */
function helpFor(argv: string[]): { text: string; code: number } | null {
  if (argv.length === 0) return { text: overviewHelp(), code: 2 };
  const end = argv.indexOf("--");
  const flags = end === -1 ? argv : argv.slice(0, end);
  const asked = argv[0] === "help" ? argv.slice(1) : flags.some((a) => HELP_FLAGS.has(a)) ? argv : null;
  if (!asked) return null;
  const words = asked.filter((a) => !a.startsWith("-"));
  if (words.length === 0 || asked[0]?.startsWith("-")) return { text: overviewHelp(), code: 0 };
  const command = findCommand(words);
  if (command) return { text: commandHelp(command), code: 0 };
  if (COMMANDS.some((c) => c.name.startsWith(`${words[0]} `)))
    return { text: groupHelp(words[0] as string), code: 0 };
  throw new UsageError(unknownCommand(words));
}

function unknownCommand(words: string[]): string {
  const [first, second] = words;
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length === 0) return `unknown command "${first ?? ""}"`;
  const names = group.map((c) => c.name.slice(String(first).length + 1)).join(", ");
  return second === undefined
    ? `${first}: name a command (${names})`
    : `unknown ${first} command "${second}" (${names})`;
}
