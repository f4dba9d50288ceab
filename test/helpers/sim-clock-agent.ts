import { readFileSync } from "node:fs";

/**
 * The real drive-agent on a simulated clock: `Date` reads the offset (ms) the test writes to
 * TB_TEST_CLOCK_FILE, so the agent's request tokens and its checks of signed orders agree with
 * a hub whose injected clock the test moves weeks ahead. Only the clock differs from production.
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

await import("../../drive-agent/main.ts");
