import { eq } from "drizzle-orm";
import { drives, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhere } from "../sites/site-scope.ts";

/** One drive in the upstream's TapeDrive shape (GET /api/v1/drives for an X-API-Key client). */
export interface MonitorDrive {
  id: number;
  device_path: string;
  display_name: string;
  vendor: string;
  serial_number: string;
  model: string;
  status: "ready" | "busy" | "offline" | "error";
  current_tape_id: number | null;
  current_tape: string;
  enabled: boolean;
  format_type: string;
  created_at: string;
  updated_at: string;
  /** Ours: the agent the drive hangs on. */
  agent_id: string;
}

const STATUS = {
  idle: "ready",
  busy: "busy",
  offline: "offline",
  error: "error",
  unknown: "offline",
} as const;

export async function listMonitorDrives(ctx: ServiceCtx): Promise<MonitorDrive[]> {
  const rows = await ctx.db
    .select({ drive: drives, tape: tapes })
    .from(drives)
    .leftJoin(tapes, eq(tapes.id, drives.loadedTapeId))
    // A site-scoped key or user sees their sites' drives only.
    .where(siteWhere(ctx, { kind: "drive", id: drives.id }, undefined))
    .orderBy(drives.devicePath)
    .limit(500);
  return rows.map(({ drive, tape }) => ({
    id: drive.id,
    device_path: drive.devicePath,
    display_name: drive.name,
    vendor: drive.vendor ?? "",
    serial_number: drive.serial ?? "",
    model: drive.model ?? "",
    status: STATUS[drive.state],
    current_tape_id: drive.loadedTapeId ?? null,
    current_tape: tape ? (tape.label ?? tape.barcode) : "",
    enabled: true,
    format_type: "raw",
    created_at: drive.createdAt.toISOString(),
    updated_at: (drive.lastSeenAt ?? drive.createdAt).toISOString(),
    agent_id: drive.agentId,
  }));
}
