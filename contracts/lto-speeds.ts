import type { StreamingHealth } from "./agent-protocol.ts";

/**
 * How fast each LTO generation writes (native, uncompressed) and the slowest feed it still
 * streams at: below it the drive empties its own buffer, stops, rewinds a little and starts
 * again (shoe-shining), which costs speed and wears heads and tape. The floors are the lowest
 * data-rate-matching step of full-height drives as vendors publish them (LTO-9: design.md);
 * half-height drives and other vendors differ a little, so the verdict compares with margin.
 * Bytes per second, 1000-based as vendors state them.
 */
export const LTO_SPEEDS: Record<string, { nativeBytesPerSec: number; minBytesPerSec: number }> = {
  "LTO-1": { nativeBytesPerSec: 20e6, minBytesPerSec: 10e6 },
  "LTO-2": { nativeBytesPerSec: 40e6, minBytesPerSec: 13e6 },
  "LTO-3": { nativeBytesPerSec: 80e6, minBytesPerSec: 27e6 },
  "LTO-4": { nativeBytesPerSec: 120e6, minBytesPerSec: 40e6 },
  "LTO-5": { nativeBytesPerSec: 140e6, minBytesPerSec: 47e6 },
  "LTO-6": { nativeBytesPerSec: 160e6, minBytesPerSec: 54e6 },
  "LTO-7": { nativeBytesPerSec: 300e6, minBytesPerSec: 100e6 },
  "LTO-7-M8": { nativeBytesPerSec: 300e6, minBytesPerSec: 100e6 },
  "LTO-8": { nativeBytesPerSec: 360e6, minBytesPerSec: 112e6 },
  "LTO-9": { nativeBytesPerSec: 400e6, minBytesPerSec: 177e6 },
};

/** The slowest feed a drive of this generation streams at; null when the generation is unknown. */
export function minStreamingBytesPerSec(generation: string | null): number | null {
  return generation ? (LTO_SPEEDS[generation]?.minBytesPerSec ?? null) : null;
}

export type StreamingVerdict = {
  /** The drive stopped for data and the source fed it slower, on average, than it streams at. */
  shoeShining: boolean;
  /** One sentence for the run page and the run's log. */
  words: string;
  /** What would help, most likely first; empty when the drive streamed. */
  advice: string[];
};

const MB = (bytesPerSec: number) => `${(bytesPerSec / 1e6).toFixed(1)} MB/s`;

/**
 * What a run's streaming figures mean for the operator. A drive that stopped although the source
 * kept up on average was fed in bursts (a larger buffer helps); one fed slower than its floor
 * shoe-shines whatever the buffer (a faster or a parallel source helps). Null: nothing to judge
 * (no data written, or a drive with no floor, such as the virtual library).
 */
export function streamingVerdict(health: StreamingHealth | null | undefined): StreamingVerdict | null {
  if (!health || health.minBytesPerSec === null || health.feedBytesPerSec === null) return null;
  const stops = `${health.waits} time${health.waits === 1 ? "" : "s"}`;
  const fed = `the source fed it ${MB(health.feedBytesPerSec)} against the ${MB(health.minBytesPerSec)} it streams at`;
  if (health.feedBytesPerSec < health.minBytesPerSec && health.waits > 0)
    return {
      shoeShining: true,
      words: `the drive shoe-shined: it stopped ${stops} to wait for data (${Math.round(health.waitedMs / 1000)} s in all); ${fed}`,
      advice: [
        "a faster source (a local disk rather than a network share, or a disk staging area)",
        "several sources written in parallel, so together they feed the drive fast enough",
        "a larger buffer in front of the drive, which helps only when the source is fast in bursts",
      ],
    };
  if (health.waits > 0)
    return {
      shoeShining: false,
      words: `the drive stopped ${stops} to wait for data although ${fed}: the source comes in bursts`,
      advice: ["a larger buffer in front of the drive, to carry it over the source's pauses"],
    };
  return { shoeShining: false, words: `the drive streamed: ${fed}`, advice: [] };
}
