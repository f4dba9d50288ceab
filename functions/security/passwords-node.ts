import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { PasswordHasher } from "../deps.ts";

/** What the worker runs: bcryptjs, one job at a time, answering with the job's id. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const bcrypt = require(workerData.bcrypt);
parentPort.on("message", async ({ id, op, password, arg }) => {
  try {
    const value = op === "hash" ? await bcrypt.hash(password, arg) : await bcrypt.compare(password, arg);
    parentPort.postMessage({ id, value });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
`;

export interface WorkerPasswords extends PasswordHasher {
  /** Jobs the worker has run, for tests that check the checks left the event loop. */
  readonly jobs: number;
  close(): Promise<void>;
}

type Job = { resolve: (value: string | boolean) => void; reject: (error: Error) => void };

/**
 * bcrypt in one worker thread, started on first use. It is unref'd while idle so it never keeps
 * the hub alive; a worker that dies fails its jobs and the next job starts a new one.
 */
export function workerPasswords(): WorkerPasswords {
  const bcryptPath = createRequire(import.meta.url).resolve("bcryptjs");
  const pending = new Map<number, Job>();
  let worker: Worker | null = null;
  let nextId = 0;
  let jobs = 0;

  const failAll = (error: Error) => {
    for (const job of pending.values()) job.reject(error);
    pending.clear();
    worker = null;
  };
  const start = () => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcrypt: bcryptPath } });
    w.on("message", ({ id, value, error }: { id: number; value?: string | boolean; error?: string }) => {
      const job = pending.get(id);
      pending.delete(id);
      if (pending.size === 0) w.unref();
      if (!job) return;
      jobs++;
      if (error !== undefined) job.reject(new Error(`password worker: ${error}`));
      else job.resolve(value as string | boolean);
    });
    w.on("error", (error) => failAll(error));
    w.on("exit", (code) => {
      if (worker === w) failAll(new Error(`password worker exited with code ${code}`));
    });
    return w;
  };
  const run = <T extends string | boolean>(op: "hash" | "verify", password: string, arg: string | number) =>
    new Promise<T>((resolve, reject) => {
      worker ??= start();
      worker.ref();
      const id = nextId++;
      pending.set(id, { resolve: resolve as Job["resolve"], reject });
      worker.postMessage({ id, op, password, arg });
    });

  return {
    hash: (password, cost) => run<string>("hash", password, cost),
    verify: (password, hash) => run<boolean>("verify", password, hash),
    get jobs() {
      return jobs;
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
      failAll(new Error("password worker closed"));
    },
  };
}
