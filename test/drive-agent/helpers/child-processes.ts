import { readdirSync, readFileSync } from "node:fs";
import { runCommand } from "../../../drive-agent/exec.ts";

/** Live children of this test process (other than the ps asking), to prove nothing was left running. */
export async function listChildProcesses(): Promise<string[]> {
  const result = await runCommand({
    argv: ["ps", "-o", "pid=,comm=", "--ppid", String(process.pid)],
    timeoutMs: 10_000,
  });
  return result.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/\sps$/.test(line));
}

/** [state, parent PID] of a process from /proc, or undefined when there is no such process. */
function readStat(pid: number): [string, number] | undefined {
  try {
    // The command name, in parentheses, may hold spaces: the fields after it are what we read.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /s, "")
      .split(" ");
    return [fields[0] as string, Number(fields[1])];
  } catch {
    return undefined;
  }
}

/** Whether the process runs; a zombie has exited (only its parent has not read its status). */
export function isRunning(pid: number): boolean {
  const state = readStat(pid)?.[0];
  return state !== undefined && state !== "Z" && state !== "X";
}

/** The command line of a process, for a message. */
export function commandOf(pid: number): string {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** The running children of a process and theirs, by the parent PID in /proc (a detached child keeps it). */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry);
    const stat = Number.isInteger(child) && isRunning(child) ? readStat(child) : undefined;
    if (stat) children.set(stat[1], [...(children.get(stat[1]) ?? []), child]);
  }
  const walk = (parent: number): number[] => (children.get(parent) ?? []).flatMap((c) => [c, ...walk(c)]);
  return walk(pid);
}

/**
 * The command lines of those of `pids` still running once they have had `timeoutMs` to finish.
 * A process closes its pipes before the kernel makes it a zombie (its command line is already
 * empty then), so "pipes closed" alone can still find it in the middle of exiting.
 */
export async function stillRunning(pids: readonly number[], timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return pids.filter(isRunning).map(commandOf);
}
