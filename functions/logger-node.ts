import pino from "pino";
import type { Logger } from "./deps.ts";
import { REDACT_CENSOR, REDACT_PATHS } from "./redact.ts";

export { REDACT_PATHS };

export function createNodeLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: "tapebackarr-hub" }, redact: { paths: REDACT_PATHS, censor: REDACT_CENSOR } },
    destination,
  );
}
