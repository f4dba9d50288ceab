import type { Logger } from "./deps.ts";
import { redact } from "./redact.ts";

/** pino's numeric levels, so log lines from workerd and Node read the same downstream. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

export type ConsoleLogLevel = keyof typeof LEVELS;

/** Where a finished line goes; the console by default, a capture in tests. */
export type LogSink = (level: number, line: string) => void;

const consoleSink: LogSink = (level, line) => {
  if (level >= LEVELS.error) console.error(line);
  else if (level >= LEVELS.warn) console.warn(line);
  else console.log(line);
};

/** One JSON line per call on the console (workerd's log stream), pino-shaped and redacted alike. */
export function createConsoleLogger(level: ConsoleLogLevel, sink: LogSink = consoleSink): Logger {
  return consoleLogger(LEVELS[level], { service: "tapebackarr-hub" }, sink);
}

function consoleLogger(threshold: number, bindings: object, sink: LogSink): Logger {
  const write = (level: number) => (obj: object, msg?: string) => {
    if (level < threshold) return;
    const line = {
      level,
      time: Date.now(),
      ...bindings,
      ...redact(obj),
      ...(msg === undefined ? {} : { msg }),
    };
    sink(level, stringify(line));
  };
  return {
    debug: write(LEVELS.debug),
    info: write(LEVELS.info),
    warn: write(LEVELS.warn),
    error: write(LEVELS.error),
    child: (more) => consoleLogger(threshold, { ...bindings, ...redact(more) }, sink),
  };
}

function stringify(line: object): string {
  try {
    return JSON.stringify(line, (_key, value: unknown) => {
      if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
      if (typeof value === "bigint") return value.toString();
      return value;
    });
  } catch {
    // A cycle must not take the request down with it; keep what identifies the line.
    const { level, time, msg } = line as { level: number; time: number; msg?: string };
    return JSON.stringify({ level, time, msg, logError: "unserializable log object" });
  }
}
