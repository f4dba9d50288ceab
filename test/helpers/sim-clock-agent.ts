import { readFileSync, watch } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * The real drive-agent on a simulated clock: `Date` reads the offset (ms) the test writes to
 * TB_TEST_CLOCK_FILE, so the agent's request tokens and its checks of signed orders agree with
 * a hub whose injected clock the test moves weeks ahead. Only the clock differs from production,
 * and interval timers keep to it: when the test moves the clock past an interval, the interval
 * fires at once, as it would have in the time skipped (so the heartbeat tells the hub at once
 * that the agent is alive on the new clock, instead of a real heartbeat interval later).
 */
const file = process.env.TB_TEST_CLOCK_FILE;
if (!file) throw new Error("TB_TEST_CLOCK_FILE is not set");
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
let offset = 0;
const read = () => {
  try {
    const value = Number(readFileSync(file, "utf8"));
    if (Number.isFinite(value)) offset = value;
  } catch {
    // Written by rename, so a read sees the old or the new file; a missing one keeps the offset.
  }
  return offset;
};

class SimDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(realNow() + read());
    else super(...(args as [string]));
  }
  static override now(): number {
    return realNow() + read();
  }
}
globalThis.Date = SimDate as DateConstructor;

const intervals = new Map<unknown, { ms: number; fire: () => void }>();
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;
globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) => {
  const fire = () => callback(...args);
  const timer = realSetInterval(fire, ms);
  intervals.set(timer, { ms, fire });
  return timer;
}) as typeof setInterval;
globalThis.clearInterval = ((timer: Parameters<typeof clearInterval>[0]) => {
  intervals.delete(timer);
  realClearInterval(timer);
}) as typeof clearInterval;

// The test renames the new offset into place: the folder sees it arrive.
let seen = read();
watch(dirname(file), (_event, name) => {
  if (name !== basename(file)) return;
  const skipped = read() - seen;
  seen = offset;
  for (const { ms, fire } of [...intervals.values()]) if (skipped >= ms) fire();
}).unref();

await import("../../drive-agent/main.ts");
