import { bindKeySite, bindKeySiteInput } from "../../services/encryption-keys/bind-key-site.ts";
import {
  createEncryptionKey,
  createEncryptionKeyInput,
} from "../../services/encryption-keys/create-encryption-key.ts";
import { deleteEncryptionKey } from "../../services/encryption-keys/delete-encryption-key.ts";
import {
  exportEncryptionKey,
  exportEncryptionKeyInput,
} from "../../services/encryption-keys/export-encryption-key.ts";
import { getKeyDetail } from "../../services/encryption-keys/get-key-detail.ts";
import {
  importEncryptionKey,
  importEncryptionKeyInput,
} from "../../services/encryption-keys/import-encryption-key.ts";
import { listEncryptionKeys } from "../../services/encryption-keys/list-encryption-keys.ts";
import { retireEncryptionKey } from "../../services/encryption-keys/retire-encryption-key.ts";
import { rotatePoolKey, rotatePoolKeyInput } from "../../services/pools/rotate-pool-key.ts";
import { auditTarget, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams } from "./router.ts";

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
      method: "GET",
      path: "/encryption-keys/:id",
      permission: "read",
      tag,
      params: idParams,
      summary:
        "A key and what needs it: retained sets encrypted with it, pools and jobs writing with it (a site-scoped caller: a key of their sites or an unbound one, and their sites' dependents)",
    },
    async (c, { params }) => c.json(await getKeyDetail(serviceCtx(c), params.id)),
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
  api.route(
    {
      method: "POST",
      path: "/encryption-keys/import",
      permission: "admin",
      tag,
      summary: "Import a passphrase-wrapped key (`wrapped`: the line from a key sheet or a tape's key file)",
      body: importEncryptionKeyInput,
      audit: "encryption_key.import",
      success: { status: 201, description: "The key's name and fingerprint" },
    },
    async (c, { body }) => {
      const key = await importEncryptionKey(serviceCtx(c), c.get("deps"), body);
      auditTarget(c, key.id, { fingerprint: key.fingerprint });
      return c.json(key, 201);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/encryption-keys/:id/export",
      permission: "admin",
      tag,
      params: idParams,
      body: exportEncryptionKeyInput,
      audit: "encryption_key.export",
      summary:
        "The key wrapped with a passphrase (scrypt + AES-256-GCM, one line of text); never the raw key",
    },
    async (c, { params, body }) => {
      const exported = await exportEncryptionKey(serviceCtx(c), c.get("deps"), params.id, body);
      auditTarget(c, params.id, { fingerprint: exported.fingerprint });
      return c.json(exported);
    },
  );
  api.route(
    {
      method: "PUT",
      path: "/encryption-keys/:id/site",
      permission: "admin",
      tag,
      params: idParams,
      body: bindKeySiteInput,
      audit: "encryption_key.bind_site",
      summary:
        "Bind a key to one site (its pools and jobs write with it, its users see it) or to none (every site); refused while a pool or job elsewhere writes with it",
    },
    async (c, { params, body }) => {
      const key = await bindKeySite(serviceCtx(c), params.id, body);
      auditTarget(c, key.id, { fingerprint: key.fingerprint, siteId: key.siteId });
      return c.json(key);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/encryption-keys/:id/retire",
      permission: "admin",
      tag,
      params: idParams,
      audit: "encryption_key.retire",
      summary: "Retire a key (no new set uses it); refused while a retained set, pool or job needs it",
    },
    async (c, { params }) => {
      const key = await retireEncryptionKey(serviceCtx(c), params.id);
      auditTarget(c, key.id, { fingerprint: key.fingerprint });
      return c.json(key);
    },
  );
  api.route(
    {
      method: "DELETE",
      path: "/encryption-keys/:id",
      permission: "admin",
      tag,
      params: idParams,
      audit: "encryption_key.delete",
      summary: "Delete a retired key; refused while a retained set needs it",
    },
    async (c, { params }) => {
      const key = await deleteEncryptionKey(serviceCtx(c), params.id);
      auditTarget(c, key.id, { fingerprint: key.fingerprint });
      return c.json(key);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/pools/:id/rotate-key",
      permission: "admin",
      tag,
      params: idParams,
      body: rotatePoolKeyInput,
      audit: "encryption_key.rotate",
      summary:
        "Give the pool a new current key (new, or `keyId`); the pool's next sets use it, old sets keep theirs",
    },
    async (c, { params, body }) => {
      const rotated = await rotatePoolKey(serviceCtx(c), c.get("deps").secrets, params.id, body);
      auditTarget(c, params.id, {
        pool: rotated.pool.name,
        fingerprint: rotated.key.fingerprint,
        previousFingerprint: rotated.previous?.fingerprint ?? null,
      });
      return c.json(rotated);
    },
  );
}
