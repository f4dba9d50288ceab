/**
 * Log fields blanked out wherever they appear in a log object, as a second line of defence.
 * Paths use pino's redact syntax (`*` is any key at that level), so the Node logger hands
 * them to pino and the console logger applies them itself with the same meaning.
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "key",
  "*.key",
  "secret",
  "*.secret",
  "tokenSecret",
  "*.tokenSecret",
  "tokenSecretJwe",
  "*.tokenSecretJwe",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "cookie",
  "*.cookie",
];

export const REDACT_CENSOR = "[redacted]";

const PARSED_PATHS = REDACT_PATHS.map((path) => path.split("."));

/** A copy of `obj` with every REDACT_PATHS match replaced by the censor; `obj` is left as it was. */
export function redact<T extends object>(obj: T): T {
  let out: Record<string, unknown> = obj as Record<string, unknown>;
  for (const path of PARSED_PATHS) out = redactPath(out, path);
  return out as T;
}

/** Copies only the objects on the way to a match, so unredacted parts are shared, never mutated. */
function redactPath(node: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return node;
  const keys = head === "*" ? Object.keys(node) : Object.hasOwn(node, head) ? [head] : [];
  let copy: Record<string, unknown> | undefined;
  for (const key of keys) {
    const value = node[key];
    let next: unknown;
    if (rest.length === 0) next = REDACT_CENSOR;
    else if (isPlainObject(value)) next = redactPath(value, rest);
    else continue;
    if (next === value) continue;
    copy ??= { ...node };
    copy[key] = next;
  }
  return copy ?? node;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
