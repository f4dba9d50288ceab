import { describe, expect, it } from "vitest";
import { describeStages, heldBackBy, type StageTimes } from "../../../drive-agent/pipeline/stage-clock.ts";

/** A 10 s stream in which no stage waited and nothing was busy: each test sets what it means. */
const quiet: StageTimes = {
  wallMs: 10_000,
  mainBusy: 0.2,
  hashMs: 1_000,
  tarWaitMs: 0,
  readerPausedMs: 0,
  encodeBusyMs: 2_000,
  encodeThreads: 2,
  encoderWaitMs: 0,
  driveWaitMs: 0,
  writerWaitMs: 5_000,
  cores: 0.5,
  hostCores: 2,
  hostBusy: 0.4,
};

describe("which stage held a set's stream back", () => {
  it("is the drive when its writer hardly waited for data and the encoder waited for the drive", () => {
    expect(heldBackBy({ ...quiet, writerWaitMs: 200, driveWaitMs: 6_000 })).toMatch(/^the drive/);
  });

  it("is the encoder when its threads were the busiest stage", () => {
    expect(heldBackBy({ ...quiet, encodeBusyMs: 19_000, encoderWaitMs: 4_000 })).toMatch(
      /^the encoder's threads/,
    );
  });

  it("is the main thread when it was busier than the encoder and waited for no one", () => {
    expect(heldBackBy({ ...quiet, mainBusy: 0.97, hashMs: 6_000 })).toMatch(/^the main thread/);
  });

  it("is tar when the main thread waited for its output, but not for the time tar waited for a free buffer", () => {
    expect(heldBackBy({ ...quiet, tarWaitMs: 8_000 })).toMatch(/^tar/);
    expect(heldBackBy({ ...quiet, tarWaitMs: 8_000, readerPausedMs: 7_900, encodeBusyMs: 9_000 })).toMatch(
      /^the encoder's threads/,
    );
  });

  it("says so when the host's cores were all busy, whichever processes used them", () => {
    expect(heldBackBy({ ...quiet, mainBusy: 0.9, cores: 0.6, hostBusy: 0.97 })).toBe(
      "the main thread (parsing, hashing, issuing writes), on a host whose 2 cores were busy 97 % of the time (every process's)",
    );
  });

  it("prints one log line with every stage's figure", () => {
    expect(describeStages({ ...quiet, encodeBusyMs: 19_000 })).toBe(
      "stream stages over 10.0 s: main thread busy 20 % (parse + sha256 1.0 s), waited for tar 0.0 s, " +
        "tar held back for a free read buffer 0.0 s, encoder 2 threads busy 95 %, waited for the encoder 0.0 s, " +
        "waited for the drive 0.0 s, drive writer waited for data 5.0 s, the agent used 0.5 of 2 cores, the host 40 %; " +
        "held back by the encoder's threads (compressing and encrypting)",
    );
  });

  it("leaves the encoder out of a set that is written as it is", () => {
    expect(describeStages({ ...quiet, encodeBusyMs: 0, encodeThreads: 0 })).not.toMatch(/encoder/);
  });
});
