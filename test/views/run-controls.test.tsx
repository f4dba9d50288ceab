import { describe, expect, it } from "vitest";
import { liveFigures, type RunForActions, runActions } from "../../functions/services/runs/run-actions.ts";
import { RunLive, type RunModel } from "../../views/pages/run.tsx";
import { NO_PROGRESS } from "../helpers/progress.ts";

const base: RunForActions = {
  kind: "backup",
  state: "running",
  control: "continue",
  setId: 3,
  finishedAt: null,
};

const allowed = (run: Partial<RunForActions>) =>
  Object.entries(runActions({ ...base, ...run }))
    .filter(([, yes]) => yes)
    .map(([verb]) => verb);

describe("what a run may do next is decided by the runs service", () => {
  it("pause and cancel while running or waiting for a tape, resume and cancel while paused", () => {
    expect(allowed({ state: "running" })).toEqual(["pause", "cancel"]);
    expect(allowed({ state: "waiting-for-tape" })).toEqual(["pause", "cancel"]);
    expect(allowed({ state: "paused" })).toEqual(["resume", "cancel"]);
  });

  it("a queued run offers only cancel: the service refuses to pause what no agent runs yet", () => {
    expect(allowed({ state: "queued" })).toEqual(["cancel"]);
  });

  it("a pause asked for shows resume at once; a run being cancelled offers nothing more", () => {
    expect(allowed({ state: "running", control: "pause" })).toEqual(["resume", "cancel"]);
    expect(allowed({ state: "running", control: "cancel" })).toEqual([]);
  });

  it("retry once a backup or verify failed, nothing for a finished restore or a completed run", () => {
    const done = new Date(1);
    expect(allowed({ state: "failed", finishedAt: done })).toEqual(["retry"]);
    expect(allowed({ state: "interrupted", kind: "verify", finishedAt: done })).toEqual(["retry"]);
    expect(allowed({ state: "failed", kind: "restore", finishedAt: done })).toEqual([]);
    expect(allowed({ state: "completed", finishedAt: done })).toEqual([]);
  });
});

const model = (run: Partial<RunForActions>): RunModel => ({
  id: 7,
  jobName: "Nightly",
  ...NO_PROGRESS,
  operatorMessage: null,
  queuedAt: new Date(0),
  startedAt: null,
  error: null,
  warnings: 0,
  triggeredBy: "admin",
  outcome: null,
  notable: [],
  ...base,
  ...run,
  actions: runActions({ ...base, ...run }),
});

const controls = (run: Partial<RunForActions>, canOperate = true) =>
  [...RunLive(model(run), canOperate).value.matchAll(/hx-post="\/runs\/7\/(\w+)"/g)].map((m) => m[1]);

describe("a run page shows the controls the service allows", () => {
  it("the same verbs as runActions, in the same order", () => {
    expect(controls({ state: "running" })).toEqual(["pause", "cancel"]);
    expect(controls({ state: "queued" })).toEqual(["cancel"]);
    expect(controls({ state: "failed", finishedAt: new Date(1) })).toEqual(["retry"]);
  });

  it("no control at all for a read-only user", () => {
    expect(controls({ state: "running" }, false)).toEqual([]);
    expect(controls({ state: "failed", finishedAt: new Date(1) }, false)).toEqual([]);
  });

  it("a paused run says paused and shows no rate or ETA", () => {
    const html = RunLive({ ...model({ state: "paused" }), rateBytesPerSec: null }, true).value;
    expect(html).toContain("paused: no data moves until resumed");
    expect(html).not.toContain("ETA");
  });

  it("cancel asks first, naming what is left behind", () => {
    expect(RunLive(model({ state: "running" }), true).value).toMatch(/hx-confirm="Cancel run 7 of Nightly\?/);
  });
});

describe("the rate and ETA a run page shows", () => {
  const startedAt = new Date("2026-12-01T08:00:00Z");
  const at = (s: number) => new Date(startedAt.getTime() + s * 1000);
  const running = {
    state: "running",
    startedAt,
    bytesDone: 10 << 20,
    bytesTotal: 30 << 20,
    rateBytesPerSec: 0,
    etaSeconds: null,
  };

  it("the agent's own figures while it measures a rate", () => {
    expect(liveFigures({ ...running, rateBytesPerSec: 4 << 20, etaSeconds: 5 }, at(5))).toEqual({
      rateBytesPerSec: 4 << 20,
      etaSeconds: 5,
    });
  });

  it("the average since the start while the agent's rate reads 0 (a buffer filling)", () => {
    expect(liveFigures(running, at(5))).toEqual({ rateBytesPerSec: 2 << 20, etaSeconds: 10 });
  });

  it("none at all for a paused, waiting or ended run: no stale rate", () => {
    for (const state of ["paused", "waiting-for-tape", "completed", "queued"])
      expect(liveFigures({ ...running, state, rateBytesPerSec: 4 << 20, etaSeconds: 5 }, at(5))).toEqual({
        rateBytesPerSec: null,
        etaSeconds: null,
      });
  });
});

describe("a finished run's summary", () => {
  const finished = (keyFingerprint: string | null) =>
    RunLive(
      {
        ...model({ state: "completed", finishedAt: new Date(1) }),
        outcome: {
          durationSeconds: 60,
          summary: null,
          set: {
            id: 3,
            state: "complete",
            written: true,
            sourceBytes: 10,
            tapeBytes: 5,
            fileCount: 1,
            compression: "zstd",
            ratio: 2,
            keyFingerprint,
          },
          tapes: [{ id: 1, barcode: "TB0001L9" }],
        },
      },
      true,
    ).value;

  it("names the set's key by its fingerprint, or says the set is not encrypted", () => {
    expect(finished("0123abcd")).toMatch(
      /<th>Set #3<\/th>\s*<td>\s*encrypted with key <code class="wrap set-key">0123abcd<\/code>/,
    );
    expect(finished(null)).toMatch(/<th>Set #3<\/th>\s*<td>\s*<span class="muted">not encrypted<\/span>/);
  });
});
