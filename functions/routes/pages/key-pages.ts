import { renderDocument } from "../../../views/html.ts";
import { KeySheet } from "../../../views/pages/key-sheet.tsx";
import { KeysPage } from "../../../views/pages/keys.tsx";
import { exportEncryptionKeyInput } from "../../services/encryption-keys/export-encryption-key.ts";
import { getKeySheet } from "../../services/encryption-keys/get-key-sheet.ts";
import { listKeyOverview } from "../../services/encryption-keys/list-key-overview.ts";
import { auditTarget, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, parseForm } from "./form.ts";
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
        }),
      ),
    ),
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
