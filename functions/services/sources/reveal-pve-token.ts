import { eq } from "drizzle-orm";
import { sourceSecrets } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { unwrapKey } from "../../security/key-wrap.ts";
import { pveSecretPurpose } from "./pve-secret-purpose.ts";

/** A Proxmox source's token secret, unwrapped, for sealing into an order; only delivery calls it. */
export async function revealPveToken(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  sourceId: number,
): Promise<Uint8Array> {
  const row = await ctx.db.query.sourceSecrets.findFirst({ where: eq(sourceSecrets.sourceId, sourceId) });
  if (!row) throw new AppError("validation_failed", `Proxmox source ${sourceId} has no API token secret set`);
  return unwrapKey(secrets.masterKey, row.wrapped, pveSecretPurpose(sourceId));
}
