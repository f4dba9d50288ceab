import { eq } from "drizzle-orm";
import { z } from "zod";
import { KeyExportError, parseWrappedKey, unwrapWithPassphrase } from "../../../contracts/key-export.ts";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { Deps, ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { base64url } from "../../security/crypto.ts";
import { createEncryptionKey } from "./create-encryption-key.ts";

export const importEncryptionKeyInput = z.object({
  name: z.string().trim().min(1).max(100),
  /** The one-line wrapped key from a key sheet, a tape's key file or an export. */
  wrapped: z.string().trim().min(1).max(2000),
  passphrase: z.string().min(1).max(1024),
});

/** A passphrase-wrapped key brought back (a fresh hub, a key sheet from the safe). */
export async function importEncryptionKey(
  ctx: ServiceCtx,
  deps: Pick<Deps, "secrets" | "scrypt">,
  input: z.output<typeof importEncryptionKeyInput>,
) {
  let key: Uint8Array;
  try {
    ({ key } = await unwrapWithPassphrase({
      text: input.wrapped,
      passphrase: input.passphrase,
      scrypt: deps.scrypt,
    }));
  } catch (error) {
    if (error instanceof KeyExportError)
      throw new AppError("validation_failed", error.message, { reason: error.code });
    throw error;
  }
  const { fingerprint } = parseWrappedKey(input.wrapped);
  const known = await ctx.db.query.encryptionKeys.findFirst({
    where: eq(encryptionKeys.fingerprint, fingerprint),
  });
  if (known) {
    key.fill(0);
    throw conflict(`This hub already holds key ${fingerprint} (as ${known.name})`);
  }
  const standard = base64url(key).replace(/-/g, "+").replace(/_/g, "/");
  key.fill(0);
  return createEncryptionKey(ctx, deps.secrets, { name: input.name, key: `${standard}=` });
}
