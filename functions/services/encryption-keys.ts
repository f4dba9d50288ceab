import { eq } from "drizzle-orm";
import { z } from "zod";
import { encryptionKeys } from "../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../deps.ts";
import { randomBytes } from "../security/crypto.ts";
import { keyFingerprint, unwrapKey, wrapKey } from "../security/key-wrap.ts";
import { displayName, getOrThrow } from "./shared.ts";

export const createEncryptionKeyInput = z.object({
  name: displayName(),
  /**
   * An existing key to import (32 raw bytes, base64), e.g. the key of tapes written by a hub whose
   * catalog was lost; without it a new random key is made.
   */
  key: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, "must be 32 bytes in base64")
    .optional(),
});

type KeyRow = typeof encryptionKeys.$inferSelect;
/** The AAD a data key is wrapped under, so a wrapped key cannot be swapped for another row's. */
export const dataKeyPurpose = (fingerprint: string) => `tapebackarr-data-key:${fingerprint}`;

export function toPublicKey(row: KeyRow) {
  const { wrappedKey: _secret, ...rest } = row;
  return rest;
}

/** A new random (or an imported) AES-256 data key, stored only wrapped by the master key. */
export async function createEncryptionKey(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  input: z.output<typeof createEncryptionKeyInput>,
) {
  const key = input.key ? Uint8Array.from(atob(input.key), (c) => c.charCodeAt(0)) : randomBytes(32);
  const fingerprint = await keyFingerprint(key);
  const [row] = await ctx.db
    .insert(encryptionKeys)
    .values({
      name: input.name,
      fingerprint,
      wrappedKey: await wrapKey(secrets.masterKey, key, dataKeyPurpose(fingerprint)),
      createdAt: ctx.now(),
    })
    .returning();
  return toPublicKey(getOrThrow(row, "Encryption key", input.name));
}

export async function listEncryptionKeys(ctx: ServiceCtx) {
  const rows = await ctx.db.query.encryptionKeys.findMany({ orderBy: encryptionKeys.id });
  return { items: rows.map(toPublicKey), nextCursor: null };
}

export async function getEncryptionKey(ctx: ServiceCtx, id: number) {
  return getOrThrow(
    await ctx.db.query.encryptionKeys.findFirst({ where: eq(encryptionKeys.id, id) }),
    "Encryption key",
    id,
  );
}

/** The raw key, for sealing into a work order only. */
export async function revealDataKey(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  id: number,
): Promise<{ key: Uint8Array; fingerprint: string }> {
  const row = await getEncryptionKey(ctx, id);
  return {
    key: await unwrapKey(secrets.masterKey, row.wrappedKey, dataKeyPurpose(row.fingerprint)),
    fingerprint: row.fingerprint,
  };
}
