import { Cron } from "croner";
import { z } from "zod";
import { ALLOCATIONS, COMPRESSIONS, OFFSITE_ROTATIONS, RETENTIONS } from "../../db/schema/index.ts";
import { AppError } from "../../errors.ts";
import { LTO_GENERATIONS } from "../tapes/create-tape.ts";

/** The policy fields of a pool, as create and update accept them. */
export const poolPolicyFields = {
  allocation: z.enum(ALLOCATIONS).default("continue"),
  allocationCalendar: z.string().trim().max(128).nullish(),
  retention: z.enum(RETENTIONS).default("timespan"),
  generation: z.enum(LTO_GENERATIONS).nullish(),
  barcodePrefix: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{1,15}$/, "use 1-15 letters and digits, the start of the barcodes")
    .nullish(),
  compression: z.enum(COMPRESSIONS).nullish(),
  preflightLeadMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(360),
  offsiteRotation: z.enum(OFFSITE_ROTATIONS).optional(),
  offsiteReturnDays: z.number().int().min(1).max(36_500).nullish(),
};

export type PoolPolicy = {
  name: string;
  allocation: (typeof ALLOCATIONS)[number];
  allocationCalendar: string | null;
  retention: (typeof RETENTIONS)[number];
  retentionDays: number;
  generation: string | null;
  barcodePrefix: string | null;
  offsiteRotation?: (typeof OFFSITE_ROTATIONS)[number];
  offsiteReturnDays?: number | null;
};

/** The cross-field rules of a pool's policy; create checks its input, update the merged row. */
export function checkPolicy(policy: Omit<PoolPolicy, "name">): void {
  if (policy.allocation === "calendar") {
    const expr = policy.allocationCalendar ?? "";
    if (!expr || !nextCalendarEvent(expr, new Date()))
      throw new AppError(
        "validation_failed",
        `Invalid body.allocationCalendar: a calendar allocation needs a schedule with a future event, e.g. "0 0 * * 1" for every Monday at 00:00`,
        { issues: [{ path: "body.allocationCalendar", message: "needs a croner schedule" }] },
      );
  }
  if (policy.retention === "timespan" && policy.retentionDays < 1)
    throw new AppError(
      "validation_failed",
      "Invalid body.retentionDays: keep a media set at least one day, or choose retention keep",
      { issues: [{ path: "body.retentionDays", message: "at least 1" }] },
    );
}

export function nextCalendarEvent(expr: string, after: Date): Date | null {
  try {
    return new Cron(expr, { paused: true }).nextRun(after);
  } catch {
    return null;
  }
}

const DAY_MS = 24 * 3600_000;

/** When a media set whose last write was `lastWrittenAt` may be reused; null: never (kept). */
export function reusableFrom(pool: Pick<PoolPolicy, "retention" | "retentionDays">, lastWrittenAt: Date) {
  if (pool.retention === "keep") return null;
  return new Date(lastWrittenAt.getTime() + pool.retentionDays * DAY_MS);
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
const days = (n: number) => (n % 7 === 0 && n >= 7 ? plural(n / 7, "week") : plural(n, "day"));

/** The pool's policy in an operator's words, one sentence per rule. */
export function describePolicy(pool: PoolPolicy): {
  allocation: string;
  retention: string;
  accepts: string;
  offsite: string;
} {
  const allocation =
    pool.allocation === "always"
      ? "Every run starts a new media set on tapes of its own."
      : pool.allocation === "calendar"
        ? `A new media set starts at the first run after each event of "${pool.allocationCalendar}"; runs in between add to the current set.`
        : "Runs add to the current media set until its tapes are full; then a new one starts.";
  const retention =
    pool.retention === "keep"
      ? "Media sets are kept forever: no tape of this pool is ever reused."
      : `A media set is kept ${days(pool.retentionDays)} after its last write, counted from when its last run finished; a set still being added to is never reused. Then its tapes are relabelled and reused, unless a retained set still depends on them.`;
  const accepts = [
    pool.generation ? `${pool.generation} tapes` : "tapes of any generation",
    pool.barcodePrefix ? `whose barcode starts with ${pool.barcodePrefix}` : null,
  ]
    .filter(Boolean)
    .join(" ");
  return { allocation, retention, accepts: `Accepts ${accepts}.`, offsite: describeRotation(pool) };
}

/** Which media sets the hub asks to take offsite, and when it asks for them back, in words. */
function describeRotation(pool: PoolPolicy): string {
  const rotation = pool.offsiteRotation ?? "none";
  if (rotation === "none") return "No offsite rotation: media sets stay in the library.";
  const which =
    rotation === "closed"
      ? "Every media set leaves the library once it is closed"
      : "Every media set holding a full backup leaves the library once it is closed";
  const back = pool.offsiteReturnDays
    ? `it is asked back ${days(pool.offsiteReturnDays)} after it went offsite, or when its retention ends if that is sooner`
    : pool.retention === "keep"
      ? "it stays offsite, since the pool keeps its media sets forever"
      : "it is asked back when its retention ends, to be reused";
  return `${which} (the attention strip says which tapes to take out); ${back}. Tapes away are never written.`;
}

/** Whether the pool takes this tape (generation and barcode rule); the reason it does not otherwise. */
export function poolRefusesTape(
  pool: Pick<PoolPolicy, "name" | "generation" | "barcodePrefix">,
  tape: { barcode: string; generation: string | null },
): string | null {
  if (pool.barcodePrefix && !tape.barcode.startsWith(pool.barcodePrefix))
    return `pool ${pool.name} takes only barcodes starting with ${pool.barcodePrefix}, not ${tape.barcode}`;
  if (pool.generation && tape.generation && tape.generation !== pool.generation)
    return `pool ${pool.name} takes only ${pool.generation} tapes; ${tape.barcode} is ${tape.generation}`;
  return null;
}
