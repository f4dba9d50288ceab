import pino from "pino";
import type { Logger } from "./deps.ts";

/** Paths pino blanks out wherever they appear in a log object, as a second line of defence. */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "key",
  "*.key",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "cookie",
  "*.cookie",
];

export function createNodeLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: "tapebackarr-hub" }, redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    destination,
  );
}
