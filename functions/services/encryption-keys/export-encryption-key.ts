import { eq } from "drizzle-orm";
import { z } from "zod";
import { MIN_PASSPHRASE_LENGTH, wrapWithPassphrase } from "../../../contracts/key-export.ts";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { Deps, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { revealDataKey } from "./reveal-data-key.ts";

export const exportEncryptionKeyInput = z.object({
  passphrase: z
    .string()
    .min(MIN_PASSPHRASE_LENGTH, `a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters`)
    .max(1024),
  /** Printed on the key sheet beside the wrapped key; never the passphrase itself. */
  hint: z.string().trim().max(200).optional(),
  /**
   * Also write this wrapped key into the TOC of every set encrypted with the key from now on, so
   * a tape plus the passphrase restores with `drive-agent restore` alone (as PBS does).
   */
  onTapes: z.boolean().default(false),
});

/** The key wrapped with a passphrase (contracts/key-export.ts): the only way a key leaves the hub. */
export async function exportEncryptionKey(
  ctx: ServiceCtx,
  deps: Pick<Deps, "secrets" | "scrypt">,
  id: number,
  input: z.output<typeof exportEncryptionKeyInput>,
) {
  if (input.hint?.toLowerCase().includes(input.passphrase.toLowerCase()))
    throw new AppError("validation_failed", "The hint must not contain the passphrase");
  const { key, fingerprint } = await revealDataKey(ctx, deps.secrets, id);
  const wrapped = await wrapWithPassphrase({ key, passphrase: input.passphrase, scrypt: deps.scrypt });
  key.fill(0);
  if (input.onTapes)
    await ctx.db.update(encryptionKeys).set({ tapeCopy: wrapped }).where(eq(encryptionKeys.id, id));
  return { id, fingerprint, wrapped, hint: input.hint ?? null, onTapes: input.onTapes };
}
