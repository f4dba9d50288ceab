import { describe, expect, it } from "vitest";
import { quietUntil } from "../../functions/services/notify/quiet-hours.ts";

const quiet = (start: string, end: string, timeZone: string | null = null) => ({
  start,
  end,
  timeZone,
  holdBelow: "critical" as const,
});

describe("quietUntil", () => {
  it("is the end of a window that spans midnight, on either side of it", () => {
    expect(quietUntil(quiet("22:00", "07:00"), new Date("2026-03-10T23:30:00Z"), "UTC")).toEqual(
      new Date("2026-03-11T07:00:00Z"),
    );
    expect(quietUntil(quiet("22:00", "07:00"), new Date("2026-03-11T06:59:30Z"), "UTC")).toEqual(
      new Date("2026-03-11T07:00:00Z"),
    );
  });

  it("is null outside the window, at its end and for a window that starts where it ends", () => {
    expect(quietUntil(quiet("22:00", "07:00"), new Date("2026-03-11T07:00:00Z"), "UTC")).toBeNull();
    expect(quietUntil(quiet("22:00", "07:00"), new Date("2026-03-11T12:00:00Z"), "UTC")).toBeNull();
    expect(quietUntil(quiet("09:00", "17:00"), new Date("2026-03-11T08:59:00Z"), "UTC")).toBeNull();
    expect(quietUntil(quiet("09:00", "09:00"), new Date("2026-03-11T09:00:00Z"), "UTC")).toBeNull();
    expect(quietUntil(null, new Date("2026-03-11T09:00:00Z"), "UTC")).toBeNull();
  });

  it("reads the window in the channel's zone, else the hub's", () => {
    // 21:00 UTC is 22:00 in Berlin in winter (UTC+1): inside 22:00–07:00 Berlin, ending 06:00 UTC.
    const at = new Date("2026-01-15T21:00:00Z");
    expect(quietUntil(quiet("22:00", "07:00", "Europe/Berlin"), at, "UTC")).toEqual(
      new Date("2026-01-16T06:00:00Z"),
    );
    expect(quietUntil(quiet("22:00", "07:00"), at, "Europe/Berlin")).toEqual(
      new Date("2026-01-16T06:00:00Z"),
    );
    expect(quietUntil(quiet("22:00", "07:00"), at, "UTC")).toBeNull();
  });
});
