import { z } from "zod";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { randomBytes } from "../../security/crypto.ts";
import { keyFingerprint, wrapKey } from "../../security/key-wrap.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName } from "../shared/input-schemas.ts";
import { activeSite } from "../sites/active-site.ts";
import { dataKeyPurpose } from "./data-key-purpose.ts";
import { toPublicKey } from "./to-public-key.ts";

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
  /** The site whose pools and jobs may write with it and whose users see it; null: every site. */
  siteId: z.number().int().positive().nullish(),
});

/** A new random (or an imported) AES-256 data key, stored only wrapped by the master key. */
export async function createEncryptionKey(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  input: z.output<typeof createEncryptionKeyInput>,
) {
  if (input.siteId) await activeSite(ctx, input.siteId);
  const key = input.key ? Uint8Array.from(atob(input.key), (c) => c.charCodeAt(0)) : randomBytes(32);
  const fingerprint = await keyFingerprint(key);
  const [row] = await ctx.db
    .insert(encryptionKeys)
    .values({
      name: input.name,
      fingerprint,
      siteId: input.siteId ?? null,
      wrappedKey: await wrapKey(secrets.masterKey, key, dataKeyPurpose(fingerprint)),
      createdAt: ctx.now(),
    })
    .returning();
  return toPublicKey(getOrThrow(row, "Encryption key", input.name));
}
