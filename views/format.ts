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

/** The zone every time on the pages is shown in; said next to each time so nobody has to guess. */
export const TIME_ZONE = "UTC";

export function formatTime(date: Date | string | null | undefined): string {
  if (!date) return "–";
  return `${new Date(date).toISOString().replace("T", " ").slice(0, 16)} ${TIME_ZONE}`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Tue 1 Dec 22:00 UTC": a coming run, as a person reads a calendar. */
export function formatWhen(date: Date): string {
  const hm = date.toISOString().slice(11, 16);
  return `${WEEKDAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${hm} ${TIME_ZONE}`;
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
export function formatRatio(ratio: number | null | undefined): string {
  return ratio ? `${ratio.toFixed(2)} : 1` : "–";
}

export function percent(done: number, total: number | null | undefined): number | null {
  if (!total || total <= 0) return null;
  return Math.min(100, Math.floor((done / total) * 100));
}
