import { z } from "zod";
import { MIN_PASSPHRASE_LENGTH, wrapWithPassphrase } from "../../../contracts/key-export.ts";
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
  return { id, fingerprint, wrapped, hint: input.hint ?? null };
}
