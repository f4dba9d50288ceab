import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { unwrapKey } from "../../security/key-wrap.ts";
import { dataKeyPurpose } from "./data-key-purpose.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";

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
