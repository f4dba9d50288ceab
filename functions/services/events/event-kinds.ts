import { SEVERITIES, type Severity } from "../../db/schema/index.ts";

/** The severities, least first, for pages and inputs (routes do not import the schema). */
export const EVENT_SEVERITIES = SEVERITIES;

/**
 * Every kind of event the hub records, in one place, with its severity and its words for the
 * settings page. Another part of the hub that has news for the operator adds its kind here and
 * calls `recordEvent` / `eventInsert` (record-event.ts) in the batch of its change.
 */
export const EVENT_KINDS = {
  "run.completed": { severity: "info", label: "Run completed" },
  "run.warnings": { severity: "warning", label: "Run completed with warnings" },
  "run.failed": { severity: "error", label: "Run failed" },
  "run.interrupted": { severity: "error", label: "Run interrupted" },
  "run.skipped": { severity: "warning", label: "Scheduled run skipped (the last one still runs)" },
  "tape.needed": { severity: "warning", label: "Tape needed" },
  "preflight.unmet": {
    severity: "warning",
    label: "Pre-flight unmet (a tape or drive is missing for a scheduled job)",
  },
  "preflight.met": { severity: "info", label: "Pre-flight met again" },
  "drive.alert": { severity: "error", label: "Drive alert (TapeAlert)" },
  "drive.cleaning": { severity: "warning", label: "Drive needs cleaning" },
  "verify.failed": { severity: "error", label: "Verify failed" },
  "set.incomplete": { severity: "error", label: "Backup set incomplete" },
  "agent.offline": { severity: "warning", label: "Agent offline" },
  "agent.back": { severity: "info", label: "Agent back online" },
  "agent.drives": { severity: "info", label: "Drives found or missing after a rescan" },
  "agent.protocol": { severity: "warning", label: "Agent speaks a protocol this hub does not" },
  "agent.clock": { severity: "warning", label: "Agent clock skewed" },
  "agent.moved": { severity: "info", label: "Tape host moved to another site" },
  "retention.warning": { severity: "warning", label: "Retention warning" },
  "retention.resolved": { severity: "info", label: "Retention warning resolved" },
  "offsite.rotation": { severity: "info", label: "Media set to take offsite or bring back" },
  "key.missing": { severity: "error", label: "Encryption key missing for a set" },
  "key.back": { severity: "info", label: "Encryption key held again" },
  "catalog-backup.missing": { severity: "warning", label: "No catalog backup for too long" },
  "catalog-backup.ok": { severity: "info", label: "Catalog backed up again" },
  "summary.daily": { severity: "info", label: "Daily summary" },
  "notify.failed": {
    severity: "error",
    label: "A notification could not be sent",
    // It quotes the mail or Bot API server's answer, which names the channel's settings.
    audience: "admin",
  },
  "test.message": { severity: "info", label: "Test message", audience: "none" },
  /** Events held in a channel's quiet hours, sent as one message when they end; that channel's only. */
  "notify.digest": { severity: "info", label: "Digest of the quiet hours", audience: "none" },
} as const satisfies Record<string, { severity: Severity; label: string; audience?: EventAudience }>;

/**
 * Who may receive a kind on the live stream and the event list: the permission that reading
 * what it is about needs ("read" unless said: runs, tapes, drives), or no one (a channel's own
 * messages). Filtered in one place, services/events/events-visible-to.ts.
 */
export type EventAudience = "read" | "operate" | "admin" | "none";

export type EventKind = keyof typeof EVENT_KINDS;

/** The kinds a channel may subscribe to (the test message goes only through its button). */
export const SUBSCRIBABLE_KINDS = (Object.keys(EVENT_KINDS) as EventKind[]).filter(
  (k) => k !== "test.message" && k !== "notify.digest",
);

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };
