import { describe, expect, it } from "vitest";
import { RunLive } from "../../views/pages/run.tsx";
import { NO_PROGRESS } from "../helpers/progress.ts";

const base = {
  id: 7,
  jobName: "Nightly",
  kind: "backup",
  state: "running",
  ...NO_PROGRESS,
  operatorMessage: null,
  queuedAt: new Date(0),
  startedAt: null,
  finishedAt: null as Date | null,
  error: null,
  warnings: 0,
  triggeredBy: "admin",
};

const controls = (run: Partial<typeof base>, canOperate = true) =>
  [...RunLive({ ...base, ...run }, canOperate).value.matchAll(/hx-post="\/runs\/7\/(\w+)"/g)].map(
    (m) => m[1],
  );

describe("a run page offers the controls its state allows", () => {
  it("pause and cancel while running or waiting for a tape, resume and cancel while paused", () => {
    expect(controls({ state: "running" })).toEqual(["pause", "cancel"]);
    expect(controls({ state: "waiting-for-tape" })).toEqual(["pause", "cancel"]);
    expect(controls({ state: "paused" })).toEqual(["resume", "cancel"]);
  });

  it("retry once a backup or verify failed, nothing for a finished restore or a completed run", () => {
    const done = new Date(1);
    expect(controls({ state: "failed", finishedAt: done })).toEqual(["retry"]);
    expect(controls({ state: "interrupted", kind: "verify", finishedAt: done })).toEqual(["retry"]);
    expect(controls({ state: "failed", kind: "restore", finishedAt: done })).toEqual([]);
    expect(controls({ state: "completed", finishedAt: done })).toEqual([]);
  });

  it("no control at all for a read-only user", () => {
    expect(controls({ state: "running" }, false)).toEqual([]);
    expect(controls({ state: "failed", finishedAt: new Date(1) }, false)).toEqual([]);
  });
});
