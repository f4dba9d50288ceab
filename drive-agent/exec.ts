import { execa } from "execa";
import { DriveError } from "./errors.ts";

/** The only door to child processes: argv arrays (never shell strings), a cancel signal and a timeout. */
export type CommandRequest = {
  argv: readonly [string, ...string[]];
  signal?: AbortSignal;
  timeoutMs?: number;
  input?: string | Uint8Array;
  cwd?: string;
  /** Extra environment for the child; the agent's own environment is never modified. */
  env?: Record<string, string>;
};

export type CommandResult = { exitCode: number; stdout: string; stderr: string };

/** Runs a command and returns its output; a non-zero exit is a value the caller interprets. */
export type RunCommand = (request: CommandRequest) => Promise<CommandResult>;

const DEFAULT_TIMEOUT_MS = 60_000;

export const runCommand: RunCommand = async ({ argv, signal, timeoutMs, input, cwd, env }) => {
  const [file, ...args] = argv;
  const result = await execa(file, args, {
    reject: false,
    cancelSignal: signal,
    timeout: timeoutMs ?? DEFAULT_TIMEOUT_MS,
    input,
    cwd,
    env,
    stripFinalNewline: false,
    forceKillAfterDelay: 2_000,
  });
  if (result.timedOut)
    throw new DriveError(
      "TIMEOUT",
      `${argv.join(" ")} timed out after ${timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`,
    );
  if (result.isCanceled) throw new DriveError("TIMEOUT", `${argv.join(" ")} was cancelled`);
  if (result.failed && result.exitCode === undefined) {
    const missing = (result.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
    throw new DriveError(
      missing ? "NOT_FOUND" : "COMMAND_FAILED",
      missing ? `${file} is not installed (see README "Drives")` : `${argv.join(" ")}: ${result.message}`,
    );
  }
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
};

/** Starts a long-running command whose stdin/stdout the caller streams (tar, mbuffer). */
export function spawnStreaming(
  request: Omit<CommandRequest, "input"> & { stdin?: "pipe" | "ignore"; stdout?: "pipe" | "ignore" },
) {
  const [file, ...args] = request.argv;
  return execa(file, args, {
    reject: false,
    cancelSignal: request.signal,
    timeout: request.timeoutMs,
    cwd: request.cwd,
    stdin: request.stdin ?? "pipe",
    stdout: request.stdout ?? "pipe",
    buffer: { stdout: false, stderr: true },
    encoding: "buffer",
    forceKillAfterDelay: 2_000,
  });
}
