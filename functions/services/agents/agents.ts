import { and, eq, getTableColumns, inArray, isNotNull, notInArray, sql } from "drizzle-orm";
import { z } from "zod";
import {
  type ChangerReport,
  type DriveReport,
  EnrollRequest,
  type EnrollResponse,
} from "../../../contracts/agent-protocol.ts";
import { rowsPerStatement } from "../../db/limits.ts";
import { agents, changers, drives, sites, tapes } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { randomToken, sha256Hex } from "../../security/crypto.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName } from "../shared/input-schemas.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";

/** An agent not heard from for this long shows as offline. */
export const AGENT_OFFLINE_AFTER_MS = 90_000;
const ENROLLMENT_TTL_MS = 24 * 3600_000;

export const createAgentInput = z.object({ name: displayName(), site: displayName().nullish() });

type AgentRow = typeof agents.$inferSelect;

export function toPublicAgent(agent: AgentRow, now: Date) {
  const { enrollmentTokenHash: _hash, publicKey, ...rest } = agent;
  const stale = !agent.lastSeenAt || now.getTime() - agent.lastSeenAt.getTime() > AGENT_OFFLINE_AFTER_MS;
  const state = agent.state === "online" && stale ? "offline" : agent.state;
  return { ...rest, state, enrolled: publicKey !== null };
}

async function siteId(ctx: ServiceCtx, name: string | null | undefined): Promise<number | null> {
  if (!name) return null;
  await ctx.db.insert(sites).values({ name, createdAt: ctx.now() }).onConflictDoNothing();
  const site = await ctx.db.query.sites.findFirst({ where: eq(sites.name, name) });
  return site?.id ?? null;
}

/**
 * A one-time enrollment token. The prefix keeps it from starting with "-" (base64url can), which
 * `drive-agent enroll --token …` would read as an option.
 */
function newEnrollmentToken(): string {
  return `tbenroll_${randomToken(32)}`;
}

/** Creates an agent record and its one-time enrollment token (shown once, stored hashed). */
export async function createAgent(ctx: ServiceCtx, input: z.output<typeof createAgentInput>) {
  const token = newEnrollmentToken();
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(agents)
    .values({
      id: crypto.randomUUID(),
      name: input.name,
      siteId: await siteId(ctx, input.site),
      state: "pending",
      enrollmentTokenHash: await sha256Hex(token),
      enrollmentExpiresAt: new Date(now.getTime() + ENROLLMENT_TTL_MS),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return { agent: toPublicAgent(getOrThrow(row, "Agent", input.name), now), enrollmentToken: token };
}

/** A new token for an agent (re-enrollment after a host rebuild); the old key stops working. */
export async function renewEnrollment(ctx: ServiceCtx, id: string) {
  const token = newEnrollmentToken();
  const now = ctx.now();
  const [row] = await ctx.db
    .update(agents)
    .set({
      enrollmentTokenHash: await sha256Hex(token),
      enrollmentExpiresAt: new Date(now.getTime() + ENROLLMENT_TTL_MS),
      publicKey: null,
      state: "pending",
      updatedAt: now,
    })
    .where(eq(agents.id, id))
    .returning();
  return { agent: toPublicAgent(getOrThrow(row, "Agent", id), now), enrollmentToken: token };
}

export async function enrollAgent(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  raw: unknown,
): Promise<EnrollResponse> {
  const input = EnrollRequest.parse(raw);
  const hash = await sha256Hex(input.token);
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.enrollmentTokenHash, hash) });
  const now = ctx.now();
  if (!agent?.enrollmentExpiresAt || agent.enrollmentExpiresAt <= now) {
    throw new AppError("unauthorized", "Unknown or expired enrollment token; ask an admin for a new one");
  }
  // Conditional on the token hash, so one token enrolls exactly one key even under a race.
  const claimed = await ctx.db
    .update(agents)
    .set({
      publicKey: JSON.stringify({ signing: input.signingKey, encryption: input.encryptionKey }),
      enrollmentTokenHash: null,
      enrollmentExpiresAt: null,
      state: "online",
      hostname: input.hostname,
      version: input.version,
      lastSeenAt: now,
      updatedAt: now,
    })
    .where(and(eq(agents.id, agent.id), eq(agents.enrollmentTokenHash, hash)))
    .returning({ id: agents.id });
  if (claimed.length === 0) throw new AppError("unauthorized", "This enrollment token was already used");
  await syncHardware(ctx, agent.id, input.drives, input.changers);
  return { agentId: agent.id, hubSigningKey: secrets.orderKey.publicJwk };
}

/** Makes the catalog's drives and changers of an agent match what it reports. */
export async function syncHardware(
  ctx: ServiceCtx,
  agentId: string,
  driveReports: DriveReport[],
  changerReports: ChangerReport[],
) {
  const now = ctx.now();
  for (const changer of changerReports) {
    await ctx.db
      .insert(changers)
      .values({
        agentId,
        name: changer.name,
        devicePath: changer.devicePath,
        slotCount: changer.slots.filter((s) => !s.importExport).length,
        importExportCount: changer.slots.filter((s) => s.importExport).length,
        inventory: changer.slots,
        lastSeenAt: now,
        createdAt: now,
      })
      .onConflictDoUpdate({
        target: [changers.agentId, changers.devicePath],
        set: { name: changer.name, inventory: changer.slots, lastSeenAt: now },
      });
  }
  const changerRows = await ctx.db.query.changers.findMany({ where: eq(changers.agentId, agentId) });
  const changerByPath = new Map(changerRows.map((c) => [c.devicePath, c.id]));
  for (const drive of driveReports) {
    const loaded = drive.loadedBarcode
      ? await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, drive.loadedBarcode) })
      : undefined;
    const values = {
      name: drive.name,
      changerId: drive.changerDevice ? (changerByPath.get(drive.changerDevice) ?? null) : null,
      changerIndex: drive.changerIndex,
      vendor: drive.vendor,
      model: drive.model,
      serial: drive.serial,
      generation: drive.generation,
      state: drive.state,
      loadedTapeId: loaded?.id ?? null,
      alerts: drive.alerts,
      lastSeenAt: now,
    };
    await ctx.db
      .insert(drives)
      .values({ agentId, devicePath: drive.devicePath, createdAt: now, ...values })
      .onConflictDoUpdate({ target: [drives.agentId, drives.devicePath], set: values });
  }
  const reported = driveReports.map((d) => d.devicePath);
  if (reported.length > 0) {
    await ctx.db
      .update(drives)
      .set({ state: "offline" })
      .where(and(eq(drives.agentId, agentId), notInArray(drives.devicePath, reported)));
  }
  await locateTapes(ctx, agentId, driveReports, changerReports);
}

const STATEMENTS_PER_BATCH = 500;

type Statement = Parameters<ServiceCtx["db"]["batch"]>[0][number];

/**
 * Statements sent a batch at a time: a library of thousands of slots is a few round trips, not
 * one D1 call per cartridge (functions/db/limits.ts).
 */
async function inBatches(ctx: ServiceCtx, statements: Statement[]): Promise<void> {
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH)
    await ctx.db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH) as [Statement, ...Statement[]]);
}

/** Where each known cartridge is, from the agent's view: in a drive, in a changer slot. */
async function locateTapes(
  ctx: ServiceCtx,
  agentId: string,
  driveReports: DriveReport[],
  changerReports: ChangerReport[],
) {
  // A cartridge the library holds but the catalog has never seen is registered as blank.
  const seen = [
    ...driveReports.map((d) => d.loadedBarcode),
    ...changerReports.flatMap((c) => c.slots.map((s) => s.barcode)),
  ].filter((b): b is string => !!b);
  const now = ctx.now();
  // A large library's barcodes, a few rows per statement (D1's bound-parameter limit); drizzle
  // binds the columns' JS defaults too, so every column counts.
  await inBatches(
    ctx,
    rowsPerStatement(seen, Object.keys(getTableColumns(tapes)).length).map((part) =>
      ctx.db
        .insert(tapes)
        .values(part.map((barcode) => ({ barcode, state: "blank" as const, createdAt: now, updatedAt: now })))
        .onConflictDoNothing(),
    ),
  );
  const driveRows = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, agentId) });
  const changerRows = await ctx.db.query.changers.findMany({ where: eq(changers.agentId, agentId) });
  const placed = new Set<string>();
  const moves: Statement[] = [];
  for (const report of driveReports) {
    if (!report.loadedBarcode) continue;
    const drive = driveRows.find((d) => d.devicePath === report.devicePath);
    placed.add(report.loadedBarcode);
    moves.push(
      ctx.db
        .update(tapes)
        .set({ driveId: drive?.id ?? null, changerId: drive?.changerId ?? null, slot: null, location: null })
        .where(eq(tapes.barcode, report.loadedBarcode)),
    );
  }
  for (const report of changerReports) {
    const changer = changerRows.find((c) => c.devicePath === report.devicePath);
    for (const slot of report.slots) {
      if (!slot.barcode || placed.has(slot.barcode)) continue;
      placed.add(slot.barcode);
      moves.push(
        ctx.db
          .update(tapes)
          .set({ driveId: null, changerId: changer?.id ?? null, slot: slot.slot, location: null })
          .where(eq(tapes.barcode, slot.barcode)),
      );
    }
  }
  await inBatches(ctx, moves);
  // Tapes this agent's library held before but no longer reports have left it.
  const changerIds = changerRows.map((c) => c.id);
  const driveIds = driveRows.map((d) => d.id);
  const gone = [...placed];
  for (const [column, ids] of [
    [tapes.changerId, changerIds],
    [tapes.driveId, driveIds],
  ] as const) {
    if (ids.length === 0) continue;
    await ctx.db
      .update(tapes)
      .set({ driveId: null, changerId: null, slot: null })
      .where(
        and(
          inArray(column, ids),
          isNotNull(column),
          // As one JSON value, however many barcodes (D1's bound-parameter limit).
          gone.length > 0
            ? sql`${tapes.barcode} not in (select value from json_each(${JSON.stringify(gone)}))`
            : undefined,
        ),
      );
  }
}

export async function heartbeat(
  ctx: ServiceCtx,
  agentId: string,
  report: { version: string; drives: DriveReport[]; changers: ChangerReport[] },
) {
  await ctx.db
    .update(agents)
    .set({ lastSeenAt: ctx.now(), state: "online", version: report.version })
    .where(eq(agents.id, agentId));
  await syncHardware(ctx, agentId, report.drives, report.changers);
}

export async function touchAgent(ctx: ServiceCtx, agentId: string) {
  await ctx.db.update(agents).set({ lastSeenAt: ctx.now(), state: "online" }).where(eq(agents.id, agentId));
}

/** Agents are few (one per tape host): one page, by name. */
export async function listAgents(ctx: ServiceCtx) {
  const rows = await ctx.db.query.agents.findMany({ orderBy: agents.name, limit: 1000 });
  return { items: rows.map((a) => toPublicAgent(a, ctx.now())), nextCursor: null };
}

export async function getAgent(ctx: ServiceCtx, id: string) {
  const agent = getOrThrow(await ctx.db.query.agents.findFirst({ where: eq(agents.id, id) }), "Agent", id);
  const agentDrives = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, id) });
  const agentChangers = await ctx.db.query.changers.findMany({ where: eq(changers.agentId, id) });
  return { ...toPublicAgent(agent, ctx.now()), drives: agentDrives, changers: agentChangers };
}

export async function deleteAgent(ctx: ServiceCtx, id: string) {
  const agent = getOrThrow(await ctx.db.query.agents.findFirst({ where: eq(agents.id, id) }), "Agent", id);
  await ctx.db.delete(agents).where(eq(agents.id, id));
  return agent;
}

export async function listDrives(ctx: ServiceCtx, page: PageRequest) {
  return toPage(await ctx.db.query.drives.findMany(pageWhere(drives.id, page, "asc")), page);
}
