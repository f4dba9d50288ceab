import { renderDocument } from "../../../views/html.ts";
import { KeySheet } from "../../../views/pages/key-sheet.tsx";
import { KeysPage } from "../../../views/pages/keys.tsx";
import { bindKeySite, bindKeySiteInput } from "../../services/encryption-keys/bind-key-site.ts";
import { deleteEncryptionKey } from "../../services/encryption-keys/delete-encryption-key.ts";
import { exportEncryptionKeyInput } from "../../services/encryption-keys/export-encryption-key.ts";
import { getKeySheet } from "../../services/encryption-keys/get-key-sheet.ts";
import { listKeyOverview } from "../../services/encryption-keys/list-key-overview.ts";
import { retireEncryptionKey } from "../../services/encryption-keys/retire-encryption-key.ts";
import { listPools } from "../../services/pools/list-pools.ts";
import { rotatePoolKey } from "../../services/pools/rotate-pool-key.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { auditTarget, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** Encryption keys: rotate a pool's, retire, delete, and their printable key sheets. */
export function registerKeyPages(pages: PageRouter): void {
  pages.route({ method: "GET", path: "/keys", permission: "read", summary: "Encryption keys" }, async (c) =>
    c.html(
      renderDocument(
        KeysPage({
          layout: await layoutFor(c),
          canAdmin: can(c, "admin"),
          keys: await listKeyOverview(serviceCtx(c)),
          sites: (await listSites(serviceCtx(c))).items,
          pools: (await listPools(serviceCtx(c), { limit: 500 })).items.map((p) => ({
            id: p.id,
            name: p.name,
          })),
        }),
      ),
    ),
  );
  pages.route(
    {
      method: "POST",
      path: "/keys/:id/site",
      params: idParams,
      permission: "admin",
      summary: "Bind a key to one site, or to none (every site)",
      audit: "encryption_key.bind_site",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const key = await bindKeySite(
        serviceCtx(c),
        params.id,
        parseForm(bindKeySiteInput, { siteId: f.siteId ? Number(f.siteId) : null }),
      );
      auditTarget(c, key.id, { fingerprint: key.fingerprint, siteId: key.siteId });
      return ok(
        c,
        key.siteId === null ? `${key.name} serves every site` : `${key.name} is bound to its site`,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/pools/:id/rotate-key",
      params: idParams,
      permission: "admin",
      summary: "Give the pool a new current key; its old sets keep theirs",
      audit: "encryption_key.rotate",
    },
    async (c, { params }) => {
      const rotated = await rotatePoolKey(serviceCtx(c), c.get("deps").secrets, params.id, {});
      auditTarget(c, params.id, {
        pool: rotated.pool.name,
        fingerprint: rotated.key.fingerprint,
        previousFingerprint: rotated.previous?.fingerprint ?? null,
      });
      return ok(
        c,
        `Pool ${rotated.pool.name} now writes with key ${rotated.key.name} (${rotated.key.fingerprint}); its old sets keep their keys. Print the new key's sheet.`,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/keys/:id/retire",
      params: idParams,
      permission: "admin",
      summary: "Retire a key (no new set uses it); refused while a retained set, pool or job needs it",
      audit: "encryption_key.retire",
    },
    async (c, { params }) => {
      const key = await retireEncryptionKey(serviceCtx(c), params.id);
      auditTarget(c, key.id, { fingerprint: key.fingerprint });
      return ok(c, `Key ${key.name} is retired: no new set uses it`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/keys/:id/delete",
      params: idParams,
      permission: "admin",
      summary: "Delete a retired key; refused while a retained set needs it",
      audit: "encryption_key.delete",
    },
    async (c, { params }) => {
      const key = await deleteEncryptionKey(serviceCtx(c), params.id);
      auditTarget(c, key.id, { fingerprint: key.fingerprint });
      return ok(c, `Key ${key.name} is deleted`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/keys/:id/sheet",
      params: idParams,
      permission: "admin",
      summary: "A printable key sheet: the key wrapped with the passphrase given, as text and QR code",
      audit: "encryption_key.export",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(exportEncryptionKeyInput, {
        passphrase: f.passphrase,
        hint: f.hint,
        onTapes: f.onTapes === "on",
      });
      const sheet = await getKeySheet(serviceCtx(c), c.get("deps"), params.id, input);
      auditTarget(c, params.id, { fingerprint: sheet.fingerprint, sheet: true });
      c.header("Cache-Control", "no-store");
      return c.html(KeySheet(sheet).value);
    },
  );
}
