import QRCode from "qrcode";
import type { z } from "zod";
import type { Deps, ServiceCtx } from "../../deps.ts";
import { exportEncryptionKey, type exportEncryptionKeyInput } from "./export-encryption-key.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";

/**
 * The printable key sheet: the key wrapped with the operator's passphrase (as text and as a QR
 * code of the same text), its fingerprint and hint, and the exact steps that restore with it.
 */
export async function getKeySheet(
  ctx: ServiceCtx,
  deps: Pick<Deps, "secrets" | "scrypt">,
  id: number,
  input: z.output<typeof exportEncryptionKeyInput>,
) {
  const key = await getEncryptionKey(ctx, id);
  const exported = await exportEncryptionKey(ctx, deps, id, input);
  const qrSvg = await QRCode.toString(exported.wrapped, {
    type: "svg",
    errorCorrectionLevel: "M",
    margin: 4,
  });
  const dir = "/var/lib/tapebackarr";
  return {
    name: key.name,
    fingerprint: exported.fingerprint,
    createdAt: key.createdAt,
    wrapped: exported.wrapped,
    hint: exported.hint,
    qrSvg,
    steps: [
      {
        text: "Type the wrapped key above into a file, key.txt (or scan the QR code into it). Every encrypted set on tape names the fingerprint of its key; this one's is printed above.",
        sh: null,
      },
      {
        text: "List the tape: every set with its number and key fingerprint.",
        sh: "drive-agent scan /dev/nst0",
      },
      {
        text: "Restore a set (the passphrase is asked; --passphrase-file FILE reads it from a file).",
        sh: "drive-agent restore --tape /dev/nst0 --set N --to /restore --key-file key.txt",
      },
      {
        text: "Bring a whole hub back: the newest catalog backup on the tape, then the hub on it (its hub-secrets.json from the backup of the hub's secrets in the same directory).",
        sh: `drive-agent restore-catalog --tape /dev/nst0 --to ${dir} --key-file key.txt && DATA_DIR=${dir} npm run start:hub`,
      },
      {
        text: "Or give the key to a running hub: POST /api/v1/encryption-keys/import with its name, the wrapped key and the passphrase (docs/operator-guide.md).",
        sh: null,
      },
    ],
  };
}
