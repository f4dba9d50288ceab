import { AgentError, isDriveError } from "../errors.ts";

export type Output = { json: boolean; print(human: string, data: unknown): void };

export function createOutput(
  json: boolean,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Output {
  return {
    json,
    print(human, data) {
      write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
    },
  };
}

export class UsageError extends Error {}

/** Errors that are not the drive's but still say whether a retry can help. */
export function recoveryOf(error: unknown): "retry" | "operator" | null {
  return isDriveError(error) || error instanceof AgentError ? error.recovery : null;
}

/** Exit 75 (EX_TEMPFAIL) tells scripts a retry may help; 1 means an operator must act; 2 is bad usage. */
export function reportError(error: unknown, json: boolean): number {
  const usage = error instanceof UsageError || error instanceof RangeError;
  const recovery = recoveryOf(error);
  const body =
    isDriveError(error) || error instanceof AgentError
      ? error.toJSON()
      : { code: usage ? "USAGE" : "INTERNAL", recovery: "operator", message: (error as Error).message };
  if (json) process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  else {
    const hint = recovery ? (recovery === "retry" ? " (retry later)" : " (operator action needed)") : "";
    process.stderr.write(`drive-agent: ${body.message}${hint}\n`);
    if (usage) process.stderr.write("Run drive-agent --help for usage.\n");
  }
  if (recovery) return recovery === "retry" ? 75 : 1;
  return usage ? 2 : 1;
}
