import type { QuietHours } from "../../db/schema/index.ts";

const DAY_MIN = 24 * 60;

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** Minutes (with their fraction) since local midnight of `at` in `zone`. */
export function localMinutes(at: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part("hour") * 60 + part("minute") + (part("second") + at.getUTCMilliseconds() / 1000) / 60;
}

/**
 * When the quiet hours that hold `now` end, or null outside them. A window may span midnight
 * (22:00–07:00); start equal to end is no window. The end is taken as a duration from now in
 * the zone's wall time, so a DST change inside the window moves it by that hour at most.
 */
export function quietUntil(quiet: QuietHours | null | undefined, now: Date, hubZone: string): Date | null {
  if (!quiet) return null;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return null;
  const m = localMinutes(now, quiet.timeZone ?? hubZone);
  const inside = start < end ? m >= start && m < end : m >= start || m < end;
  if (!inside) return null;
  const left = (end - m + DAY_MIN) % DAY_MIN;
  return new Date(now.getTime() + Math.round(left * 60_000));
}
