/** Display helpers for views: pure, locale-independent, tested. */

import { bytesInWords } from "../contracts/units.ts";

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "–";
  return bytesInWords(bytes);
}

export function formatRate(bytesPerSec: number | null | undefined): string {
  return bytesPerSec ? `${formatBytes(bytesPerSec)}/s` : "–";
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

export function formatAgo(date: Date | string | null | undefined, now: Date): string {
  if (!date) return "never";
  const seconds = (now.getTime() - new Date(date).getTime()) / 1000;
  if (seconds < 5) return "just now";
  return `${formatDuration(seconds)} ago`;
}

/** The zone a time is shown in when none is given: the server's own text, before the browser's script. */
export const TIME_ZONE = "UTC";

/** The parts of a time on a wall clock in `zone` (an IANA name), the same on every runtime. */
function wallClock(date: Date, zone: string) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return {
    weekday: part("weekday"),
    year: part("year"),
    month: Number(part("month")),
    day: Number(part("day")),
    hm: `${part("hour")}:${part("minute")}`,
  };
}

/** "2026-12-01 23:00 Europe/Berlin": a time with the zone it is read in, never a bare clock. */
export function formatTime(date: Date | string | null | undefined, zone: string = TIME_ZONE): string {
  if (!date) return "–";
  const t = wallClock(new Date(date), zone);
  const ymd = `${t.year}-${String(t.month).padStart(2, "0")}-${String(t.day).padStart(2, "0")}`;
  return `${ymd} ${t.hm} ${zone}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Tue 1 Dec 22:00 UTC": a coming run, as a person reads a calendar, in the zone it runs in. */
export function formatWhen(date: Date, zone: string = TIME_ZONE): string {
  const t = wallClock(date, zone);
  return `${t.weekday} ${t.day} ${MONTHS[t.month - 1]} ${t.hm} ${zone}`;
}

/** "keep forever" or "reusable 30 days after its last write": a pool's retention as an operator says it. */
export function retentionInWords(pool: {
  allowReuse: boolean;
  retentionDays: number;
  retention?: "keep" | "timespan";
}): string {
  if (!pool.allowReuse || pool.retention === "keep") return "keep forever";
  if (pool.retentionDays === 0) return "reusable as soon as its last write ends";
  return `reusable ${pool.retentionDays} day${pool.retentionDays === 1 ? "" : "s"} after its last write`;
}

/** A compression ratio as "1.32 : 1", or "–" when nothing was written. */
/** "1 file", "6,402 files": a count with its noun, singular for one. */
export function formatCount(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}

export function formatRatio(ratio: number | null | undefined): string {
  return ratio ? `${ratio.toFixed(2)} : 1` : "–";
}

export function percent(done: number, total: number | null | undefined): number | null {
  if (!total || total <= 0) return null;
  return Math.min(100, Math.floor((done / total) * 100));
}
