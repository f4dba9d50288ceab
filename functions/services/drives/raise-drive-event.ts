import type { ServiceCtx } from "../../deps.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { type NewEvent, recordEvent } from "../events/record-event.ts";

export type DriveEvent = {
  /** drive.tapealert, drive.tapealert_cleared, drive.cleaned, drive.clean_needed, ... */
  action: string;
  driveId: number;
  outcome?: "success" | "failure";
  details: Record<string, unknown>;
};

/**
 * The one place a drive's health or care is announced: an audit row by "system" (the attention
 * strip reads the catalog itself) and, for what the operator must hear of, an event the
 * notifier routes (a TapeAlert raised, a cleaning done or impossible).
 */
export async function raiseDriveEvent(ctx: ServiceCtx, event: DriveEvent): Promise<void> {
  await recordAudit(ctx, {
    userId: null,
    actor: "system",
    action: event.action,
    target: String(event.driveId),
    outcome: event.outcome ?? "success",
    ip: null,
    requestId: null,
    details: event.details,
  });
  const news = eventOf(event);
  if (news) await recordEvent(ctx, news);
}

/** TapeAlert flags that ask for cleaning (20 cleaning required, 21 periodic) or say it failed (22, 23). */
const CLEANING_FLAGS = new Set([20, 21, 22, 23]);

function eventOf(event: DriveEvent): NewEvent | null {
  const d = event.details as Record<string, unknown> & {
    code?: number;
    name?: string;
    severity?: string;
    drive?: string;
    tape?: string | null;
    cartridge?: string;
  };
  const drive = d.drive ?? `drive ${event.driveId}`;
  const common = { driveId: event.driveId, href: `/drives/${event.driveId}` };
  if (event.action === "drive.tapealert" && typeof d.code === "number") {
    const cleaning = CLEANING_FLAGS.has(d.code);
    return {
      ...common,
      kind: cleaning ? "drive.cleaning" : "drive.alert",
      severity: d.severity === "critical" ? "critical" : cleaning ? "warning" : "error",
      text: `${drive} reports TapeAlert ${d.code} "${d.name ?? "unknown"}"${d.tape ? ` with ${d.tape} loaded` : ""}`,
      action: cleaning
        ? "The hub cleans the drive with a CLN cartridge of its library when one is there; otherwise insert one."
        : "Look at the drive page; retire the tape if the errors follow it.",
    };
  }
  if (event.action === "drive.cleaned")
    return {
      ...common,
      kind: "drive.cleaning",
      severity: "info",
      text: `${drive} was cleaned with ${d.cartridge ?? "a cleaning cartridge"}`,
    };
  if (event.action === "drive.clean_failed")
    return {
      ...common,
      kind: "drive.cleaning",
      severity: "error",
      text: `Cleaning ${drive} with ${d.cartridge ?? "the cleaning cartridge"} failed: the cartridge is spent`,
      action: "Replace the cleaning cartridge (export it and import a new CLN cartridge).",
    };
  return null;
}
