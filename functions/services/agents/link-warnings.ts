import {
  AGENT_PROTOCOL,
  MAX_AGENT_CLOCK_SKEW_SECONDS,
  OLDEST_AGENT_PROTOCOL,
} from "../../../contracts/agent-protocol.ts";

/** What an agent's last heartbeat said of the link: the protocol it speaks and its clock. */
export interface AgentLink {
  name: string;
  version: string | null;
  protocol: number | null;
  clockSkewMs: number | null;
}

export interface LinkWarning {
  kind: "protocol" | "clock";
  /** Operator words: what is wrong and what to do. */
  text: string;
}

/** Whether the hub still speaks the agent's protocol; null until its first heartbeat says. */
export function protocolSpoken(protocol: number | null): boolean | null {
  if (protocol === null) return null;
  return protocol >= OLDEST_AGENT_PROTOCOL && protocol <= AGENT_PROTOCOL;
}

export function clockSkewed(clockSkewMs: number | null): boolean {
  return clockSkewMs !== null && Math.abs(clockSkewMs) > MAX_AGENT_CLOCK_SKEW_SECONDS * 1000;
}

/** The skew in words: "3.2 s ahead", "41 s behind". */
export function describeSkew(clockSkewMs: number): string {
  const seconds = Math.abs(clockSkewMs) / 1000;
  const amount = seconds < 10 ? seconds.toFixed(1) : String(Math.round(seconds));
  return `${amount} s ${clockSkewMs >= 0 ? "ahead of" : "behind"} the hub`;
}

/** The warnings the pages, the attention banner and the heartbeat's events share. */
export function linkWarnings(agent: AgentLink): LinkWarning[] {
  const warnings: LinkWarning[] = [];
  if (protocolSpoken(agent.protocol) === false) {
    const older = (agent.protocol as number) < OLDEST_AGENT_PROTOCOL;
    warnings.push({
      kind: "protocol",
      text: older
        ? `Agent ${agent.name} (version ${agent.version ?? "unknown"}) speaks agent protocol ${agent.protocol}, which this hub no longer speaks (oldest: ${OLDEST_AGENT_PROTOCOL}); update the drive-agent on its host.`
        : `Agent ${agent.name} (version ${agent.version ?? "unknown"}) speaks agent protocol ${agent.protocol}, newer than this hub's ${AGENT_PROTOCOL}; update the hub.`,
    });
  }
  if (clockSkewed(agent.clockSkewMs)) {
    warnings.push({
      kind: "clock",
      text: `Agent ${agent.name}'s clock is ${describeSkew(agent.clockSkewMs as number)} (more than ${MAX_AGENT_CLOCK_SKEW_SECONDS} s); its tokens and work orders may be refused. Set up time synchronisation (NTP) on its host.`,
    });
  }
  return warnings;
}
