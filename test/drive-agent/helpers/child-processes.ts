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
