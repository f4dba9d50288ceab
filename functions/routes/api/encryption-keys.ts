import {
  createEncryptionKey,
  createEncryptionKeyInput,
} from "../../services/encryption-keys/create-encryption-key.ts";
import { listEncryptionKeys } from "../../services/encryption-keys/list-encryption-keys.ts";
import { auditTarget, serviceCtx } from "./context.ts";
import type { ApiRouter } from "./router.ts";

export function registerEncryptionKeyRoutes(api: ApiRouter): void {
  const tag = "encryption-keys";
  api.route(
    {
      method: "GET",
      path: "/encryption-keys",
      permission: "read",
      tag,
      summary: "Encryption keys (names and fingerprints; never key material)",
    },
    async (c) => c.json(await listEncryptionKeys(serviceCtx(c))),
  );
  api.route(
    {
      method: "POST",
      path: "/encryption-keys",
      permission: "admin",
      tag,
      summary:
        "Generate a new AES-256 data key, or import one (`key`: 32 bytes, base64), stored wrapped by the hub master key",
      body: createEncryptionKeyInput,
      audit: "encryption_key.create",
      success: { status: 201, description: "The key's name and fingerprint" },
    },
    async (c, { body }) => {
      const key = await createEncryptionKey(serviceCtx(c), c.get("deps").secrets, body);
      auditTarget(c, key.id, { fingerprint: key.fingerprint, imported: body.key !== undefined });
      return c.json(key, 201);
    },
  );
}
