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
  "retention.warning": { severity: "warning", label: "Retention warning" },
  "offsite.rotation": { severity: "info", label: "Media set to take offsite or bring back" },
  "key.missing": { severity: "error", label: "Encryption key missing for a set" },
  "catalog-backup.missing": { severity: "warning", label: "No catalog backup for too long" },
  "summary.daily": { severity: "info", label: "Daily summary" },
  "test.message": { severity: "info", label: "Test message" },
} as const satisfies Record<string, { severity: Severity; label: string }>;

export type EventKind = keyof typeof EVENT_KINDS;

/** The kinds a channel may subscribe to (the test message goes only through its button). */
export const SUBSCRIBABLE_KINDS = (Object.keys(EVENT_KINDS) as EventKind[]).filter(
  (k) => k !== "test.message",
);

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };
