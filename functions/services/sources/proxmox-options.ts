import { z } from "zod";
import {
  CertFingerprint,
  GuestSelection,
  PveApiUrl,
  PveTokenId,
  VZDUMP_MODES,
} from "../../../contracts/proxmox.ts";
import { AppError } from "../../errors.ts";

/**
 * A Proxmox source's options: how its agent reaches the PVE API (the token secret is not here: it
 * is set apart, write-only), the node it runs vzdump on, which guests and in which mode.
 */
export const ProxmoxOptions = z.object({
  apiUrl: PveApiUrl,
  tokenId: PveTokenId,
  fingerprint: CertFingerprint.nullish().transform((v) => v ?? null),
  node: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, "must be a PVE node name"),
  selection: GuestSelection.default({
    by: "all",
    ids: [],
    tags: [],
    pools: [],
    exclude: [],
    includeTemplates: false,
  }),
  mode: z.enum(VZDUMP_MODES).default("snapshot"),
});
export type ProxmoxOptions = z.output<typeof ProxmoxOptions>;

/**
 * What a source of `kind` may hold: a Proxmox source names guests (options) and no paths; every
 * other kind names at least one path. Returns the options as stored.
 */
export function checkSourceShape(
  kind: string,
  paths: readonly string[],
  options: Record<string, unknown> | null | undefined,
): Record<string, unknown> | null {
  if (kind !== "proxmox") {
    if (paths.length === 0) throw new AppError("validation_failed", "paths: give at least one path");
    return options ?? null;
  }
  if (paths.length > 0)
    throw new AppError("validation_failed", "paths: a Proxmox source backs up guests, not paths; give none");
  const parsed = ProxmoxOptions.safeParse(options ?? {});
  if (!parsed.success)
    throw new AppError(
      "validation_failed",
      `options: ${parsed.error.issues.map((i) => `${i.path.join(".") || "options"} ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}
