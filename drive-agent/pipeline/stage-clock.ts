import { availableParallelism, cpus } from "node:os";
import { performance } from "node:perf_hooks";

/**
 * Where a set's stream spent its time (docs/adr/0031): what each stage was busy with and how long
 * the stage after it waited, so the run can say which one held the stream back.
 */
export type StageTimes = {
  wallMs: number;
  /** Share of the stream's time the main thread was busy (event-loop utilisation, 0–1). */
  mainBusy: number;
  /** Parsing tar's headers and hashing every member (on the main thread). */
  hashMs: number;
  /** The main thread waited for tar's output. */
  tarWaitMs: number;
  /** tar was held back: every read buffer was lent to the stages after it. */
  readerPausedMs: number;
  /** Compressing and encrypting, summed over the encoder's threads. */
  encodeBusyMs: number;
  encodeThreads: number;
  /** The main thread waited for the encoder to take another chunk (every chunk in flight). */
  encoderWaitMs: number;
  /** The encoder's output waited for room in front of the drive (the drive writer is behind). */
  driveWaitMs: number;
  /** The drive writer waited for data (the stages before it are behind). */
  writerWaitMs: number;
  /** CPU the agent's process used in the stream's time, in cores, and the cores the host has. */
  cores: number;
  hostCores: number;
  /** Share of the host's CPU time that was busy (every process's), 0–1. */
  hostBusy: number;
};

/** A stage's share of the stream's time below which it is not the one the stream waits for. */
const WAITS_LITTLE = 0.1;
/** A share of the host's CPU time at which the stages were short of cores to run on. */
const CORES_FULL = 0.9;

/** Idle and total CPU time of the host so far (ms, all cores). */
function hostCpu(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** Times the stream's stages as it runs; `times` once it has ended. */
export class StageClock {
  private readonly started = performance.now();
  private readonly loop = performance.eventLoopUtilization();
  private readonly cpu = process.cpuUsage();
  private readonly host = hostCpu();
  private readonly spent = { hashMs: 0, tarWaitMs: 0, encoderWaitMs: 0, driveWaitMs: 0 };

  /** Adds the time since `from` (a `performance.now()`) to a stage's figure. */
  since(stage: keyof StageClock["spent"], from: number): void {
    this.spent[stage] += performance.now() - from;
  }

  /** Runs `work` and adds its time to a stage's figure. */
  time<T>(stage: keyof StageClock["spent"], work: () => T): T {
    const from = performance.now();
    try {
      return work();
    } finally {
      this.since(stage, from);
    }
  }

  times(
    encoder: { busyMs: number; threads: number },
    waits: { readerPausedMs: number; writerWaitMs: number },
  ): StageTimes {
    const wallMs = performance.now() - this.started;
    const cpu = process.cpuUsage(this.cpu);
    const host = hostCpu();
    const hostTotal = host.total - this.host.total;
    return {
      wallMs,
      mainBusy: performance.eventLoopUtilization(this.loop).utilization,
      ...this.spent,
      encodeBusyMs: encoder.busyMs,
      encodeThreads: encoder.threads,
      ...waits,
      cores: wallMs > 0 ? (cpu.user + cpu.system) / 1000 / wallMs : 0,
      hostCores: availableParallelism(),
      hostBusy: hostTotal > 0 ? 1 - (host.idle - this.host.idle) / hostTotal : 0,
    };
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (x: number) => `${Math.round(x * 100)} %`;

/**
 * The stage that held the stream back, from its figures: the drive when its writer hardly ever
 * waited for data; otherwise the busiest stage before it (tar when the main thread waited for tar
 * most, the encoder's threads, or the main thread's parsing, hashing and writes), and whether the
 * host's cores were all busy (then every stage ran short of CPU, whoever used it).
 */
export function heldBackBy(t: StageTimes): string {
  if (t.wallMs <= 0) return "nothing (the stream was empty)";
  const share = (ms: number) => ms / t.wallMs;
  if (share(t.writerWaitMs) < WAITS_LITTLE && share(t.driveWaitMs) >= WAITS_LITTLE)
    return "the drive (its writer hardly waited for data while the encoder waited for it)";
  const encoder = t.encodeThreads > 0 ? share(t.encodeBusyMs) / t.encodeThreads : 0;
  const stages: Array<[string, number]> = [
    // The main thread's wait for tar, less the time tar itself waited for a free read buffer.
    ["tar (the main thread waited for its output)", share(Math.max(0, t.tarWaitMs - t.readerPausedMs))],
    ["the encoder's threads (compressing and encrypting)", encoder],
    ["the main thread (parsing, hashing, issuing writes)", t.mainBusy],
  ];
  const [name] = stages.reduce((a, b) => (b[1] > a[1] ? b : a));
  return t.hostBusy >= CORES_FULL
    ? `${name}, on a host whose ${t.hostCores} cores were busy ${pct(t.hostBusy)} of the time (every process's)`
    : name;
}

/** One line of the run's log: each stage's figures and the one that held the stream back. */
export function describeStages(t: StageTimes): string {
  const encoder = t.encodeThreads > 0 ? t.encodeBusyMs / t.encodeThreads / Math.max(1, t.wallMs) : 0;
  const parts = [
    `main thread busy ${pct(t.mainBusy)} (parse + sha256 ${s(t.hashMs)})`,
    `waited for tar ${s(t.tarWaitMs)}`,
    `tar held back for a free read buffer ${s(t.readerPausedMs)}`,
    ...(t.encodeThreads > 0
      ? [
          `encoder ${t.encodeThreads} thread${t.encodeThreads === 1 ? "" : "s"} busy ${pct(encoder)}`,
          `waited for the encoder ${s(t.encoderWaitMs)}`,
        ]
      : []),
    `waited for the drive ${s(t.driveWaitMs)}`,
    `drive writer waited for data ${s(t.writerWaitMs)}`,
    `the agent used ${t.cores.toFixed(1)} of ${t.hostCores} cores, the host ${pct(t.hostBusy)}`,
  ];
  return `stream stages over ${s(t.wallMs)}: ${parts.join(", ")}; held back by ${heldBackBy(t)}`;
}
