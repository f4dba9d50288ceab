import { desc, eq, inArray } from "drizzle-orm";
import type { ChangerReport } from "../../../contracts/agent-protocol.ts";
import { agents, changers, drives, tapes, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { libraryScanProgress } from "../scans/library-scan-progress.ts";
import { siteWhere } from "../sites/site-scope.ts";

export type LibrarySlot = {
  slot: number;
  importExport: boolean;
  barcode: string | null;
  tape: {
    id: number;
    state: string;
    label: string | null;
    pool: number | null;
    cleaning: string | null;
  } | null;
};

export type LibraryView = {
  changers: Array<{
    id: number;
    name: string;
    agent: string;
    lastSeenAt: Date | null;
    slots: LibrarySlot[];
    drives: Array<{ id: number; name: string; state: string; loaded: string | null; alerts: string[] }>;
    /** The media sets with tapes in this changer (what an export sends offsite as one), newest first. */
    mediaSets: Array<{ id: number; poolId: number | null; tapes: string[] }>;
    /** A rebuild from this library: how many cartridges are scanned, scanning, still to scan. */
    rebuild: { scanned: number; scanning: number; toScan: number; incompleteSets: number };
  }>;
  /** The latest changer orders, newest first, with what they did or why they failed. */
  orders: Array<{
    id: string;
    op: string;
    drive: string | null;
    state: string;
    error: string | null;
    createdAt: Date;
  }>;
};

/** The library page and GET /changers: every changer's slots with the tapes in them, and recent orders. */
export async function getLibrary(ctx: ServiceCtx): Promise<LibraryView> {
  const rows = await ctx.db
    .select({ changer: changers, agent: agents.name })
    .from(changers)
    .innerJoin(agents, eq(agents.id, changers.agentId))
    .where(siteWhere(ctx, { column: agents.siteId }, undefined))
    .orderBy(changers.id);
  const ids = rows.map((r) => r.changer.id);
  const [driveRows, tapeRows, orderRows] = await Promise.all([
    ids.length ? ctx.db.query.drives.findMany({ where: inArray(drives.changerId, ids) }) : [],
    ids.length ? ctx.db.query.tapes.findMany({ where: inArray(tapes.changerId, ids) }) : [],
    ctx.db.query.workOrders.findMany({
      where: eq(workOrders.kind, "library"),
      orderBy: desc(workOrders.createdAt),
      limit: 20,
    }),
  ]);
  const byBarcode = new Map(tapeRows.map((t) => [t.barcode, t]));
  const rebuilds = await Promise.all(ids.map((id) => libraryScanProgress(ctx, id)));
  return {
    changers: rows.map(({ changer, agent }, i) => ({
      id: changer.id,
      name: changer.name,
      agent,
      lastSeenAt: changer.lastSeenAt,
      slots: ((changer.inventory ?? []) as ChangerReport["slots"]).map((s) => {
        const tape = s.barcode ? byBarcode.get(s.barcode) : undefined;
        return {
          slot: s.slot,
          importExport: s.importExport,
          barcode: s.barcode,
          tape: tape
            ? {
                id: tape.id,
                state: tape.state,
                label: tape.label,
                pool: tape.poolId,
                cleaning:
                  tape.cleaningMaxUses !== null
                    ? `${tape.cleaningUses ?? 0} of ${tape.cleaningMaxUses} uses`
                    : null,
              }
            : null,
        };
      }),
      drives: driveRows
        .filter((d) => d.changerId === changer.id)
        .map((d) => ({
          id: d.id,
          name: d.name,
          state: d.state,
          loaded: tapeRows.find((t) => t.id === d.loadedTapeId)?.barcode ?? null,
          alerts: (d.health?.alerts ?? []).map((a) => `${a.code} ${a.name}`),
        })),
      mediaSets: mediaSetsIn(tapeRows.filter((t) => t.changerId === changer.id)),
      rebuild: rebuildCounts(rebuilds[i]),
    })),
    orders: orderRows.map((o) => {
      const payload = o.payload as { operation?: { op?: string }; driveId?: number };
      return {
        id: o.id,
        op: payload.operation?.op ?? "?",
        drive: driveRows.find((d) => d.id === payload.driveId)?.name ?? null,
        state: o.state,
        error: ((o.result as { error?: string | null } | null)?.error ?? null) || null,
        createdAt: o.createdAt,
      };
    }),
  };
}

function mediaSetsIn(rows: Array<typeof tapes.$inferSelect>) {
  const sets = new Map<number, { id: number; poolId: number | null; tapes: string[] }>();
  for (const t of rows) {
    if (t.mediaSetId === null) continue;
    const set = sets.get(t.mediaSetId) ?? { id: t.mediaSetId, poolId: t.poolId, tapes: [] };
    set.tapes.push(t.barcode);
    sets.set(t.mediaSetId, set);
  }
  return [...sets.values()].sort((a, b) => b.id - a.id);
}

function rebuildCounts(progress: Awaited<ReturnType<typeof libraryScanProgress>> | undefined) {
  const count = (status: string) => progress?.cartridges.filter((c) => c.status === status).length ?? 0;
  return {
    scanned: count("scanned"),
    scanning: count("scanning"),
    toScan: count("to scan"),
    incompleteSets: progress?.incompleteSets.length ?? 0,
  };
}
