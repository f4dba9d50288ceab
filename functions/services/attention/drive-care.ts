import { and, eq, gte, isNotNull, like, sql } from "drizzle-orm";
import { agents, drives, tapes, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import type { AttentionItem } from "./attention-item.ts";

/** How long an automatic cleaning stays on the strip: the operator should know it happened. */
const CLEANED_WINDOW_MS = 24 * 3600_000;

/**
 * Drive care on the attention strip: critical TapeAlert flags (and "cleaning requested"), drives
 * cleaned automatically in the last day, and cleaning cartridges that are spent.
 */
export async function driveCare(ctx: ServiceCtx): Promise<AttentionItem[]> {
  const since = new Date(ctx.now().getTime() - CLEANED_WINDOW_MS);
  const [flagged, cleanings, spent] = await Promise.all([
    ctx.db
      .select({
        id: drives.id,
        name: drives.name,
        health: drives.health,
        agent: agents.name,
        siteId: agents.siteId,
      })
      .from(drives)
      .innerJoin(agents, eq(agents.id, drives.agentId))
      .where(isNotNull(drives.health))
      .limit(200),
    ctx.db
      .select({ payload: workOrders.payload, finishedAt: workOrders.finishedAt, result: workOrders.result })
      .from(workOrders)
      .where(
        and(
          eq(workOrders.kind, "library"),
          eq(workOrders.state, "done"),
          gte(workOrders.finishedAt, since),
          sql`json_extract(${workOrders.payload}, '$.operation.op') = 'clean'`,
        ),
      )
      .limit(20),
    ctx.db
      .select({ barcode: tapes.barcode, uses: tapes.cleaningUses, max: tapes.cleaningMaxUses })
      .from(tapes)
      .where(and(like(tapes.barcode, "CLN%"), sql`${tapes.cleaningUses} >= ${tapes.cleaningMaxUses}`))
      .limit(20),
  ]);
  const items: AttentionItem[] = [];
  for (const d of flagged) {
    const serious = (d.health?.alerts ?? []).filter((a) => a.severity === "critical" || a.code === 21);
    if (serious.length === 0) continue;
    items.push({
      kind: "drive-health",
      text: `${d.name} on ${d.agent} reports TapeAlert ${serious.map((a) => `${a.code} "${a.name}" (${a.severity})`).join(", ")}`,
      href: `/drives/${d.id}`,
      siteId: d.siteId,
    });
  }
  for (const c of cleanings) {
    const p = c.payload as {
      driveId?: number;
      auto?: boolean;
      trigger?: string | null;
      operation?: { barcode?: string };
    };
    const drive = flagged.find((d) => d.id === p.driveId);
    items.push({
      kind: "drive-cleaned",
      text: `${drive?.name ?? `Drive ${p.driveId}`} was cleaned ${p.auto ? "automatically " : ""}with ${p.operation?.barcode ?? "a cleaning cartridge"} at ${c.finishedAt?.toISOString()}${p.trigger ? ` (${p.trigger})` : ""}; if it asks again soon, the drive or a tape is failing`,
      href: `/drives/${p.driveId}`,
      siteId: drive?.siteId ?? null,
    });
  }
  for (const t of spent)
    items.push({
      kind: "cleaning-spent",
      text: `Cleaning cartridge ${t.barcode} is spent (${t.uses} of ${t.max} uses); export it and import a new one`,
      href: "/library",
    });
  return items;
}
