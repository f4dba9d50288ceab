import type { Config } from "../../config.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { type CreatedAdmin, createFirstAdmin } from "./create-first-admin.ts";
import { type SecretSources, settleHubSecrets } from "./hub-secrets.ts";

export interface BootstrapResult {
  secrets: HubSecrets;
  /** What the secrets' settling changed or wants the operator to know; the entry logs them. */
  notices: string[];
  /** Plaintext rows of an older hub this start moved out of the catalog. */
  moved: string[];
  /** Set when this start created the first admin; the password is shown once if it was generated. */
  createdAdmin?: CreatedAdmin;
}

/**
 * Idempotent start-up shared by every hub instance: the hub's private keys from config or the
 * runtime's store, never the catalog (settleHubSecrets), and the first admin when there is no
 * user at all.
 */
export async function bootstrapHub(
  ctx: ServiceCtx,
  config: Config,
  sources: SecretSources,
  /** firstAdmin: false leaves the admin to createFirstAdmin, e.g. once the hub listens. */
  options: { firstAdmin?: boolean } = {},
): Promise<BootstrapResult> {
  const result: BootstrapResult = await settleHubSecrets(ctx, config, sources);

  if (options.firstAdmin === false) return result;
  const createdAdmin = await createFirstAdmin(ctx, config);
  if (createdAdmin) result.createdAdmin = createdAdmin;
  return result;
}
