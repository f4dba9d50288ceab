import { z } from "zod";
import { sourceSecrets } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { wrapKey } from "../../security/key-wrap.ts";
import { getSource } from "./get-source.ts";
import { pveSecretPurpose } from "./pve-secret-purpose.ts";

/** A PVE API token secret: the UUID PVE shows once when the token is made. */
export const setPveTokenInput = z.object({
  secret: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F-]{8,128}$/, "must be the token's secret as PVE showed it (a UUID)"),
});

/** Stores a Proxmox source's token secret wrapped by the master key; it is never read back out. */
export async function setPveToken(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  sourceId: number,
  input: z.output<typeof setPveTokenInput>,
): Promise<{ sourceId: number; secretSet: true }> {
  const source = await getSource(ctx, sourceId);
  if (source.kind !== "proxmox")
    throw new AppError("validation_failed", `Source ${source.name} is not a Proxmox source`);
  const wrapped = await wrapKey(
    secrets.masterKey,
    new TextEncoder().encode(input.secret),
    pveSecretPurpose(sourceId),
  );
  const now = ctx.now();
  await ctx.db
    .insert(sourceSecrets)
    .values({ sourceId, wrapped, updatedAt: now })
    .onConflictDoUpdate({ target: sourceSecrets.sourceId, set: { wrapped, updatedAt: now } });
  return { sourceId, secretSet: true };
}
