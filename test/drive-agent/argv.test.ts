import { describe, expect, it } from "vitest";
import { buildMtxArgv } from "../../drive-agent/drives/changer/parse-mtx-status.ts";
import { buildMtArgv, type MtOperation } from "../../drive-agent/drives/st/mt-argv.ts";

describe("mt argv", () => {
  const cases: Array<[MtOperation, string[]]> = [
    [{ op: "status" }, ["status"]],
    [{ op: "rewind" }, ["rewind"]],
    [{ op: "load" }, ["load"]],
    [{ op: "offline" }, ["offline"]],
    [{ op: "eject" }, ["eject"]],
    [{ op: "fsf", count: 2 }, ["fsf", "2"]],
    [{ op: "bsf", count: 1 }, ["bsf", "1"]],
    [{ op: "fsr", count: 16 }, ["fsr", "16"]],
    [{ op: "bsr", count: 1 }, ["bsr", "1"]],
    [{ op: "eod" }, ["eod"]],
    [{ op: "weof", count: 1 }, ["weof", "1"]],
    [{ op: "seek", block: 123456 }, ["seek", "123456"]],
    [{ op: "tell" }, ["tell"]],
    [{ op: "setblk", bytes: 65536 }, ["setblk", "65536"]],
    [{ op: "setblk", bytes: 0 }, ["setblk", "0"]],
    [{ op: "erase" }, ["erase"]],
    [{ op: "short-erase" }, ["erase", "0"]],
    [{ op: "lock" }, ["lock"]],
    [{ op: "unlock" }, ["unlock"]],
    [{ op: "compression", enabled: false }, ["compression", "0"]],
  ];

  it.each(cases)("builds mt -f /dev/nst0 for %j", (operation, tail) => {
    expect(buildMtArgv("/dev/nst0", operation)).toEqual(["mt", "-f", "/dev/nst0", ...tail]);
  });

  it("refuses a zero or fractional count, which mt would silently treat as 1", () => {
    expect(() => buildMtArgv("/dev/nst0", { op: "fsf", count: 0 })).toThrow(RangeError);
    expect(() => buildMtArgv("/dev/nst0", { op: "weof", count: 1.5 })).toThrow(RangeError);
    expect(() => buildMtArgv("/dev/nst0", { op: "seek", block: -1 })).toThrow(RangeError);
  });
});

describe("mtx argv", () => {
  it("builds load, unload, transfer and status with slots from 1 and drives from 0", () => {
    expect(buildMtxArgv("/dev/sg4", { op: "load", slot: 3, drive: 0 })).toEqual([
      "mtx",
      "-f",
      "/dev/sg4",
      "load",
      "3",
      "0",
    ]);
    expect(buildMtxArgv("/dev/sg4", { op: "unload", slot: 3, drive: 1 })).toEqual([
      "mtx",
      "-f",
      "/dev/sg4",
      "unload",
      "3",
      "1",
    ]);
    expect(buildMtxArgv("/dev/sg4", { op: "transfer", from: 1, to: 24 })).toEqual([
      "mtx",
      "-f",
      "/dev/sg4",
      "transfer",
      "1",
      "24",
    ]);
    expect(buildMtxArgv("/dev/sg4", { op: "status" })).toEqual(["mtx", "-f", "/dev/sg4", "status"]);
  });
});
