import { renderDocument } from "../../../views/html.ts";
import { KeySheet } from "../../../views/pages/key-sheet.tsx";
import { KeysPage } from "../../../views/pages/keys.tsx";
import { bindKeySite, bindKeySiteInput } from "../../services/encryption-keys/bind-key-site.ts";
import { exportEncryptionKeyInput } from "../../services/encryption-keys/export-encryption-key.ts";
import { getKeySheet } from "../../services/encryption-keys/get-key-sheet.ts";
import { listKeyOverview } from "../../services/encryption-keys/list-key-overview.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { auditTarget, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** Encryption keys and their printable key sheets. */
export function registerKeyPages(pages: PageRouter): void {
  pages.route({ method: "GET", path: "/keys", permission: "read", summary: "Encryption keys" }, async (c) =>
    c.html(
      renderDocument(
        KeysPage({
          layout: await layoutFor(c),
          canAdmin: can(c, "admin"),
          keys: await listKeyOverview(serviceCtx(c)),
          sites: (await listSites(serviceCtx(c))).items,
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
