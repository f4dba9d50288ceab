import type { agents } from "../../db/schema/index.ts";
import { linkWarnings, protocolSpoken } from "./link-warnings.ts";

/** An agent not heard from for this long shows as offline. */
export const AGENT_OFFLINE_AFTER_MS = 90_000;

type AgentRow = typeof agents.$inferSelect;

export function toPublicAgent(agent: AgentRow, now: Date) {
  const { enrollmentTokenHash: _hash, publicKey, ...rest } = agent;
  const stale = !agent.lastSeenAt || now.getTime() - agent.lastSeenAt.getTime() > AGENT_OFFLINE_AFTER_MS;
  const state = agent.state === "online" && stale ? "offline" : agent.state;
  return {
    ...rest,
    state,
    enrolled: publicKey !== null,
    /** False when the hub no longer (or not yet) speaks the agent's protocol; null before a heartbeat. */
    protocolSpoken: protocolSpoken(agent.protocol),
    /** Protocol and clock warnings, in operator words (link-warnings.ts). */
    warnings: linkWarnings(agent).map((w) => w.text),
  };
}
