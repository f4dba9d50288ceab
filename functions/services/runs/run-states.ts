/**
 * A run in one of these states has not ended: a job may have one at a time, a set one verify at a
 * time. A leaf module so that runs/ and verifies/ can both import it without importing each other.
 */
export const ACTIVE_RUN_STATES = ["queued", "running", "waiting-for-tape", "paused"] as const;
