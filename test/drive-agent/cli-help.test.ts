import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCli, sharedOptions } from "../../drive-agent/cli/cli.ts";
import { COMMANDS, type CommandSpec } from "../../drive-agent/cli/commands.ts";
import { driveCommandNames } from "../../drive-agent/cli/drive-commands.ts";
import { enrollOptions } from "../../drive-agent/cli/enroll-command.ts";
import { runOptions } from "../../drive-agent/cli/run-command.ts";

/** The long option names a command's help documents (`--slot S` → slot). */
const documented = (command: CommandSpec) =>
  Object.keys(command.options).map((flag) => (flag.match(/^--([a-z-]+)/) as RegExpMatchArray)[1] as string);

/** The options each command's parser really takes. */
const parserOf = (command: CommandSpec): readonly string[] =>
  command.name === "enroll"
    ? Object.keys(enrollOptions)
    : command.name === "run"
      ? Object.keys(runOptions)
      : Object.keys(sharedOptions);

async function cli(...argv: string[]) {
  let text = "";
  const code = await runCli(argv, (t) => {
    text += t;
  });
  return { code, text };
}

describe("drive-agent help, for every command of its own table", () => {
  beforeEach(() => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    "%s --help exits 0 with its usage naming every option it takes",
    async (name, command) => {
      const { code, text } = await cli(...name.split(" "), "--help");
      expect(code).toBe(0);
      expect(text.startsWith(`Usage: drive-agent ${name} `)).toBe(true);
      for (const option of documented(command)) expect(text).toMatch(new RegExp(`^  --${option}\\b`, "m"));
      expect(text).toContain("-h, --help");
      expect((await cli("help", ...name.split(" "))).text).toBe(text);
      expect((await cli(...name.split(" "), "-h")).text).toBe(text);
    },
  );

  it("documents only options the command's parser accepts, and for enroll and run all of them", () => {
    for (const command of COMMANDS) {
      const parser = parserOf(command);
      for (const option of documented(command))
        expect(parser, `${command.name} --${option}`).toContain(option);
      if (command.name === "enroll" || command.name === "run")
        expect(documented(command).sort(), command.name).toEqual([...parser].sort());
    }
  });

  it("has a table row for every drive command the dispatcher runs, and no row without one", () => {
    const driveRows = COMMANDS.filter(
      (c) => c.drive && !["restore", "restore-catalog", "verify"].includes(c.name),
    );
    expect(driveRows.map((c) => c.name).sort()).toEqual([...driveCommandNames].sort());
  });

  it("lists every command in drive-agent --help and drive-agent help", async () => {
    for (const argv of [["--help"], ["help"], ["-h"]]) {
      const { code, text } = await cli(...argv);
      expect(code).toBe(0);
      for (const command of COMMANDS) expect(text).toContain(`  drive-agent ${command.name} `);
    }
  });

  it("lists the library's commands for vtl --help", async () => {
    const { code, text } = await cli("vtl", "--help");
    expect(code).toBe(0);
    for (const command of COMMANDS.filter((c) => c.name.startsWith("vtl ")))
      expect(text).toContain(`drive-agent ${command.name} `);
  });

  it("takes --help anywhere before --, after it it is a path", async () => {
    expect((await cli("label", "/dev/nst0", "--label", "X", "--help")).text).toMatch(
      /^Usage: drive-agent label /,
    );
    const restore = await cli(
      "restore",
      "--tape",
      "/nonexistent",
      "--set",
      "1",
      "--to",
      "/tmp/x",
      "--",
      "--help",
    );
    expect(restore.code).not.toBe(0);
    expect(restore.text).toBe("");
  });

  it("answers help for an unknown command as a usage error", async () => {
    expect((await cli("help", "frobnicate")).code).toBe(2);
    expect((await cli("frobnicate", "--help")).code).toBe(2);
    expect((await cli("vtl", "frobnicate")).code).toBe(2);
  });
});
