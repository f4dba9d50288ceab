import type { ServiceCtx } from "../../deps.ts";
import { recordAudit } from "../audit/record-audit.ts";

export type DriveEvent = {
  /** drive.tapealert, drive.tapealert_cleared, drive.cleaned, drive.clean_needed, ... */
  action: string;
  driveId: number;
  outcome?: "success" | "failure";
  details: Record<string, unknown>;
};

/**
 * The one place a drive's health or care is announced. Today: an audit row by "system" (the
 * attention strip reads the catalog itself). When the events table lands (issue 16) this calls
 * recordEvent too, and the notification work sends it.
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
}
