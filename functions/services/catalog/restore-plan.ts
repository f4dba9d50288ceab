import { and, asc, desc, eq, gte, inArray, lt, lte, or } from "drizzle-orm";
import { z } from "zod";
import {
  agents,
  backupSetSegments,
  backupSets,
  catalogEntries,
  changers,
  drives,
  pools,
  tapes,
} from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { catalogPath, splitPath } from "./paths.ts";
import { chainOf, setAsOf } from "./set-chain.ts";
import { type TapeReader, tapeReader } from "./tape-reader.ts";

export const restorePlanInput = z.object({
  /**
   * The tree as it was after this set ran (its full and the sets between are merged); without it,
   * the job's newest complete set at or before asOf, or the newest one holding the first path.
   */
  setId: z.number().int().positive().optional(),
  jobId: z.number().int().positive().optional(),
  /** Files or directories ("" or [] = the whole set). */
  paths: z.array(catalogPath).max(10_000).default([]),
  asOf: z.coerce.date().optional(),
});

type EntryRow = typeof catalogEntries.$inferSelect;

const LOOKUPS_PER_BATCH = 500;

/** Every entry the selection covers in one set: the paths themselves and everything below them. */
export async function selectedEntries(ctx: ServiceCtx, setId: number, paths: string[]): Promise<EntryRow[]> {
  if (paths.length === 0 || paths.includes("")) {
    return ctx.db
      .select()
      .from(catalogEntries)
      .where(eq(catalogEntries.setId, setId))
      .orderBy(asc(catalogEntries.offset));
  }
  const lookups = paths.map((path) => {
    const { dir, name } = splitPath(path);
    return ctx.db
      .select()
      .from(catalogEntries)
      .where(
        and(
          eq(catalogEntries.setId, setId),
          // The entry itself, or anything whose directory is the path or below it ('/' + 1 is '0').
          or(
            and(eq(catalogEntries.dir, dir), eq(catalogEntries.name, name)),
            eq(catalogEntries.dir, path),
            and(gte(catalogEntries.dir, `${path}/`), lt(catalogEntries.dir, `${path}0`)),
          ),
        ),
      );
  });
  const out = new Map<number, EntryRow>();
  // One indexed lookup per path, sent a batch at a time: a selection of thousands of paths is a
  // few round trips to the catalog, not thousands of D1 calls (functions/db/limits.ts).
  for (let i = 0; i < lookups.length; i += LOOKUPS_PER_BATCH) {
    const batch = lookups.slice(i, i + LOOKUPS_PER_BATCH) as [(typeof lookups)[number]];
    for (const rows of await ctx.db.batch(batch)) for (const row of rows) out.set(row.id, row);
  }
  return [...out.values()].sort((a, b) => a.offset - b.offset);
}

/**
 * The set the restored tree is as of: the one named; else the job's newest complete set at or
 * before asOf; else the newest complete set at or before asOf that holds a version of the first path.
 */
async function chooseSet(ctx: ServiceCtx, input: z.output<typeof restorePlanInput>) {
  if (input.setId)
    return getOrThrow(
      await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, input.setId) }),
      "Backup set",
      input.setId,
    );
  if (input.jobId) return setAsOf(ctx, input.jobId, input.asOf ?? ctx.now());
  const first = input.paths[0];
  if (!first)
    throw new AppError(
      "validation_failed",
      "Give setId, jobId (with asOf), or paths to find the newest set holding them",
    );
  const { dir, name } = splitPath(first);
  const [hit] = await ctx.db
    .select({ set: backupSets })
    .from(catalogEntries)
    .innerJoin(backupSets, eq(backupSets.id, catalogEntries.setId))
    .where(
      and(
        eq(catalogEntries.name, name),
        eq(catalogEntries.dir, dir),
        eq(catalogEntries.deleted, false),
        eq(backupSets.state, "complete"),
        input.asOf ? lte(backupSets.startedAt, input.asOf) : undefined,
      ),
    )
    .orderBy(desc(backupSets.startedAt))
    .limit(1);
  if (!hit)
    throw new AppError(
      "not_found",
      `No complete backup set holds ${first}${input.asOf ? ` as of ${input.asOf.toISOString()}` : ""}`,
    );
  return hit.set;
}

type SetRow = typeof backupSets.$inferSelect;
type PlannedTape = {
  setId: number;
  sequence: number;
  barcode: string;
  pool: string | null;
  fileNumber: number;
  streamOffset: number;
  location: string;
  instruction: string;
  /** At which site the tape is and which drive there can read it, in words. */
  reading: string;
} & TapeReader;
/** One set of a restore, in read order, with the entries whose version it holds. */
export type RestorePart = { set: SetRow; entries: EntryRow[]; tapes: PlannedTape[] };

const pathOf = (e: EntryRow) => (e.dir ? `${e.dir}/${e.name}` : e.name);

/**
 * The tree as it was after the chosen set ran: its full and every set built on it up to it,
 * oldest first; a later version of a path wins, a deletion marker removes it. Each entry is read
 * from the set holding its version, so a set that holds none is not read at all.
 */
export async function planRestoreParts(
  ctx: ServiceCtx,
  raw: z.output<typeof restorePlanInput>,
  /** "set": the set's own entries as its TOC holds them (deletion markers too), for a verify. */
  scope: "tree" | "set" = "tree",
) {
  const set = await chooseSet(ctx, raw);
  if (set.state === "writing") throw new AppError("conflict", `Set ${set.id} is still being written`);
  const chain = scope === "tree" ? await chainOf(ctx, set) : { sets: [set], broken: null };
  const tree = new Map<string, { index: number; entry: EntryRow }>();
  for (const [index, member] of chain.sets.entries())
    for (const entry of await selectedEntries(ctx, member.id, raw.paths)) {
      if (scope === "set") tree.set(String(entry.id), { index, entry });
      else if (entry.deleted) tree.delete(pathOf(entry));
      else tree.set(pathOf(entry), { index, entry });
    }
  if (tree.size === 0)
    throw new AppError("not_found", `Nothing in the tree as of set ${set.id} matches the selection`);
  const warnings = chain.broken ? [chain.broken] : [];
  const parts: RestorePart[] = [];
  for (const [index, member] of chain.sets.entries()) {
    const entries = [...tree.values()]
      .filter((v) => v.index === index)
      .map((v) => v.entry)
      .sort((a, b) => a.offset - b.offset);
    if (entries.length === 0) continue;
    if (member.state !== "complete")
      warnings.push(
        `Set ${member.id} is ${member.state}: files written before it stopped can be restored, nothing after`,
      );
    const found = await tapesOf(ctx, member, entries);
    warnings.push(...found.warnings);
    parts.push({ set: member, entries, tapes: found.tapes });
  }
  const all = parts.flatMap((p) => p.entries);
  const encrypted = parts.find((p) => p.set.encryption !== "none")?.set;
  const plan = {
    set: {
      id: set.id,
      uuid: set.uuid,
      state: set.state,
      startedAt: set.startedAt,
      encrypted: encrypted !== undefined,
      keyFingerprint: encrypted?.encryptionKeyFingerprint ?? null,
    },
    /** The sets read, in order, and what each gives to the tree. */
    sets: parts.map((p) => ({
      id: p.set.id,
      uuid: p.set.uuid,
      backupType: p.set.backupType,
      state: p.set.state,
      startedAt: p.set.startedAt,
      keyFingerprint: p.set.encryption === "none" ? null : p.set.encryptionKeyFingerprint,
      files: p.entries.filter((e) => e.type !== "dir").length,
      bytes: p.entries.reduce((sum, e) => sum + e.size, 0),
    })),
    /** Files (not directories) that will be written; deletion markers never are. */
    files: all.filter((e) => e.type !== "dir").length,
    entries: all.length,
    bytes: all.reduce((sum, e) => sum + e.size, 0),
    /** Every tape of every set, in the order they will be read. */
    tapes: parts.flatMap((p) => p.tapes),
    warnings,
  };
  return { plan, parts };
}

/**
 * What a restore needs: the sets, the entries, the tapes in the order they will be read, where
 * each tape is now, and what the operator must do before it can start.
 */
export async function planRestore(
  ctx: ServiceCtx,
  raw: z.output<typeof restorePlanInput>,
  scope: "tree" | "set" = "tree",
) {
  return (await planRestoreParts(ctx, raw, scope)).plan;
}

async function tapesOf(ctx: ServiceCtx, set: SetRow, entries: EntryRow[]) {
  const needed = new Set<number>();
  for (const e of entries) for (let s = e.segment; s <= e.endSegment; s++) needed.add(s);
  const segments = await ctx.db
    .select({ segment: backupSetSegments, tape: tapes, pool: pools.name })
    .from(backupSetSegments)
    .innerJoin(tapes, eq(tapes.id, backupSetSegments.tapeId))
    .leftJoin(pools, eq(pools.id, tapes.poolId))
    .where(and(eq(backupSetSegments.setId, set.id), inArray(backupSetSegments.sequence, [...needed])))
    .orderBy(asc(backupSetSegments.sequence));
  const missing = [...needed].filter((s) => !segments.some((row) => row.segment.sequence === s));
  const out: PlannedTape[] = [];
  for (const row of segments)
    out.push({
      setId: set.id,
      sequence: row.segment.sequence,
      barcode: row.tape.barcode,
      pool: row.pool,
      fileNumber: row.segment.fileNumber,
      streamOffset: row.segment.streamOffset,
      ...(await whereAndReader(ctx, row.tape, row.pool)),
    });
  return {
    tapes: out,
    warnings: missing.map(
      (s) => `Segment ${s} of set ${set.id} is on no tape the catalog knows; scan the set's tapes first`,
    ),
  };
}

/** Where the tape is, at which site, and which drive there can read it, in words too. */
async function whereAndReader(ctx: ServiceCtx, tape: typeof tapes.$inferSelect, pool: string | null) {
  const [where, reader] = await Promise.all([whereIs(ctx, tape, pool), tapeReader(ctx, tape)]);
  const by = reader.drive
    ? `: ${reader.drive.name} on ${reader.drive.agent} can read it`
    : `: no drive there can read it now; start that site's drive-agent or move the tape`;
  return {
    ...where,
    ...reader,
    reading: `${reader.site ? `At site ${reader.site.name}` : "At no site"}${by}`,
  };
}

async function whereIs(
  ctx: ServiceCtx,
  tape: typeof tapes.$inferSelect,
  pool: string | null,
): Promise<{ location: string; instruction: string }> {
  const fromPool = pool ? ` from pool ${pool}` : "";
  if (tape.driveId) {
    const [d] = await ctx.db
      .select({ drive: drives.name, agent: agents.name })
      .from(drives)
      .innerJoin(agents, eq(agents.id, drives.agentId))
      .where(eq(drives.id, tape.driveId));
    return {
      location: "drive",
      instruction: `${tape.barcode} is already in ${d?.drive ?? "a drive"} on ${d?.agent ?? "its agent"}`,
    };
  }
  if (tape.changerId) {
    const [ch] = await ctx.db
      .select({ name: changers.name, agent: agents.name })
      .from(changers)
      .innerJoin(agents, eq(agents.id, changers.agentId))
      .where(eq(changers.id, tape.changerId));
    return {
      location: "changer",
      instruction: `${tape.barcode} is in slot ${tape.slot ?? "?"} of ${ch?.name ?? "a changer"} on ${ch?.agent ?? "its agent"}; it is loaded automatically`,
    };
  }
  if (tape.state === "offsite") {
    return {
      location: "offsite",
      instruction: `Fetch ${tape.barcode}${fromPool} from offsite storage${tape.location ? ` (${tape.location})` : ""}, then insert it into a drive`,
    };
  }
  return {
    location: "shelf",
    instruction: `Insert ${tape.barcode}${fromPool} into a drive or a changer slot`,
  };
}
