import pino, { type Logger } from "pino";

/** Keys, tokens, data keys and raw orders never reach the log, whatever a caller passes in. */
const REDACT = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "key",
  "*.key",
  "privateKey",
  "*.privateKey",
  "dataKey",
  "*.dataKey",
  "dataKeyJwe",
  "*.dataKeyJwe",
  "*.*.dataKeyJwe",
  // A PVE API token secret (docs/adr/0016), clear or sealed.
  "tokenSecret",
  "*.tokenSecret",
  "tokenSecretJwe",
  "*.tokenSecretJwe",
  "*.*.tokenSecretJwe",
  "order",
  "jws",
  "d",
  "*.d",
];

export function createAgentLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: "tapebackarr-agent" }, redact: { paths: REDACT, censor: "[redacted]" } },
    destination,
  );
}

export type { Logger };
