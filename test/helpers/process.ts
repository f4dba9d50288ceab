import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const TSX = resolve(ROOT, "node_modules/.bin/tsx");

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of the pattern in stdout+stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

export function spawnProcess(command: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  child.stdout?.on("data", (d) => {
    out += d;
    notify();
  });
  child.stderr?.on("data", (d) => {
    err += d;
    notify();
  });
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = (out + err).match(pattern);
          if (m) {
            cleanup();
            res(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          rej(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onExit = (code: number | null) => {
          cleanup();
          rej(new Error(`process exited (${code}) before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
