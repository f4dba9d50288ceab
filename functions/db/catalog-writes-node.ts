import { Worker } from "node:worker_threads";
import type { CatalogWrites } from "../deps.ts";
import { AppError } from "../errors.ts";
import type { CatalogWritesSetup, WriteJob, WriteReply, WriteStatement } from "./catalog-writes-worker.ts";

const WORKER_URL = new URL("./catalog-writes-worker.ts", import.meta.url);

type Pending = WriteJob & { resolve: () => void; reject: (error: Error) => void };

export interface WorkerCatalogWrites extends CatalogWrites {
  /**
   * While a batch is with the thread (from the moment it is sent, so also before its BEGIN), a
   * promise that settles when it is answered; undefined otherwise. The hub's own writes await it
   * (client-node.ts) instead of sleeping the event loop in SQLite's busy handler.
   */
  readonly busy: Promise<void> | undefined;
  /** The running thread, if any: for tests that stop it mid-batch. */
  readonly thread: Worker | null;
  /** Ends the thread; batches not yet answered fail. */
  close(): Promise<void>;
}

/**
 * Batches of catalog writes run in one worker thread with its own connection to the embedded file
 * (docs/adr/0029), one batch at a time, each one transaction. The thread starts on first use and
 * is unref'd while idle; a thread that dies fails the batch it had (the caller's report fails and
 * is re-sent) and the next batch starts a new one.
 */
export function workerCatalogWrites(setup: CatalogWritesSetup): WorkerCatalogWrites {
  const queue: Pending[] = [];
  let current: Pending | null = null;
  let worker: Worker | null = null;
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  let nextId = 0;
  let closed = false;

  const answer = (error?: Error) => {
    const job = current;
    current = null;
    gate?.open();
    gate = null;
    if (error) job?.reject(error);
    else job?.resolve();
    // The next batch after the writes that waited at the gate: they resume in this turn's
    // microtasks, so each gets the lock between two batches.
    if (queue.length > 0) setImmediate(pump);
    else worker?.unref();
  };
  const start = () => {
    const w = new Worker(WORKER_URL, { workerData: { catalogWrites: setup } });
    w.on("message", (reply: WriteReply) => {
      if (reply.id !== current?.id) return;
      if (!reply.error) return answer();
      const error = Object.assign(new Error(reply.error.message), { code: reply.error.code });
      answer(error);
    });
    // A thread that is gone answers its batch with "unavailable" (503): the agent re-sends the
    // report, and the next batch starts a new thread. A chunk it committed is then a duplicate.
    w.on("error", (error) => {
      if (worker === w) worker = null;
      answer(new AppError("unavailable", `The catalog's write thread failed (${error.message}); send again`));
    });
    w.on("exit", (code) => {
      if (worker !== w) return;
      worker = null;
      answer(
        new AppError(
          "unavailable",
          `The catalog's write thread stopped (exit code ${code}) before it answered; send again`,
        ),
      );
    });
    return w;
  };
  const pump = () => {
    if (current || closed) return;
    const job = queue.shift();
    if (!job) return;
    current = job;
    let open = () => {};
    gate = { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
    worker ??= start();
    worker.ref();
    worker.postMessage({ id: job.id, statements: job.statements } satisfies WriteJob);
  };

  return {
    batch(statements: WriteStatement[]) {
      if (closed) return Promise.reject(new AppError("unavailable", "The hub is stopping; send again"));
      return new Promise<void>((resolve, reject) => {
        queue.push({ id: nextId++, statements, resolve, reject });
        pump();
      });
    },
    get busy() {
      return gate?.promise;
    },
    get thread() {
      return worker;
    },
    async close() {
      closed = true;
      const w = worker;
      worker = null;
      const error = new AppError("unavailable", "The hub is stopping; send again");
      for (const job of queue.splice(0)) job.reject(error);
      answer(error);
      if (w) await w.terminate();
    },
  };
}
