export type AttentionItem = {
  kind:
    | "waiting-for-tape"
    | "drive-alert"
    | "drive-health"
    | "drive-cleaned"
    | "cleaning-spent"
    | "failed-run"
    | "agent-offline"
    | "agent-link"
    | "set-incomplete"
    | "preflight"
    | "offsite";
  /** Words for the operator: what is wrong and, where the hub knows it, what to do. */
  text: string;
  href: string;
  /** The site it happens at (for the dashboard's per-site rows and site-scoped operators); null: hub-wide. */
  siteId?: number | null;
};
