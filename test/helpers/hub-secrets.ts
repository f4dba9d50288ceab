import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { settings } from "../../functions/db/schema/index.ts";
import type { ServiceCtx } from "../../functions/deps.ts";
import { KEY_FILE_NAME } from "../../functions/security/key-file-node.ts";

/** The key file a Node hub keeps in its DATA_DIR, as written: base64url strings and the mode. */
export function readKeyFile(dir: string): {
  mode: number;
  orderSigningKey: string;
  masterKey: string;
  sessionKey: string;
} {
  const path = join(dir, KEY_FILE_NAME);
  return { ...JSON.parse(readFileSync(path, "utf8")), mode: statSync(path).mode & 0o777 };
}

/** The catalog file and its WAL (if there is one) as raw bytes, to look for secrets in. */
export function catalogBytes(dbPath: string): Buffer {
  const parts = [readFileSync(dbPath)];
  for (const extra of [`${dbPath}-wal`, `${dbPath}-journal`]) {
    try {
      parts.push(readFileSync(extra));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return Buffer.concat(parts);
}

/** Whether a base64url secret occurs in the bytes as text (either alphabet) or as its raw bytes. */
export function holdsSecret(bytes: Buffer, secret: string): boolean {
  const raw = Buffer.from(secret, "base64url");
  return (
    [secret, raw.toString("base64"), raw.toString("base64").replace(/=+$/, "")].some((text) =>
      bytes.includes(text),
    ) || bytes.includes(raw)
  );
}

/** The plaintext rows an older hub kept in the settings table, seeded into a catalog. */
export async function seedLegacySecrets(ctx: ServiceCtx) {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const masterKey = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const sessionKey = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const updatedAt = ctx.now();
  await ctx.db.insert(settings).values([
    { key: "hub.order_signing_key", value: jwk, secret: true, updatedAt },
    { key: "hub.master_key", value: masterKey, secret: true, updatedAt },
    { key: "hub.session_key", value: sessionKey, secret: true, updatedAt },
  ]);
  return {
    d: jwk.d as string,
    publicJwk: { kty: "OKP" as const, crv: "Ed25519" as const, x: jwk.x as string },
    masterKey,
    sessionKey,
  };
}
