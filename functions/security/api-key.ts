import { randomToken, sha256Hex } from "./crypto.ts";

const PREFIX = "tbk";

export interface NewApiKey {
  key: string;
  prefix: string;
  hash: string;
}

/** `tbk_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole key proves it. */
export async function generateApiKey(): Promise<NewApiKey> {
  const prefix = randomToken(6).replace(/[-_]/g, "x");
  const key = `${PREFIX}_${prefix}_${randomToken(32)}`;
  return { key, prefix, hash: await sha256Hex(key) };
}

export function parseApiKey(key: string): { prefix: string } | null {
  const match = /^tbk_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{43}$/.exec(key);
  return match?.[1] ? { prefix: match[1] } : null;
}
