/**
 * Fresh values for the hub's three secrets (docs/operator-guide.md, "Hub secrets").
 *   node scripts/hub-secrets.ts              prints NAME=value lines, e.g. for `wrangler secret put`
 *   node scripts/hub-secrets.ts --dev-vars   adds the missing ones to .dev.vars (git-ignored) for
 *                                            `wrangler dev`; run by `npm run dev:worker`
 * Each is 32 random bytes in base64url; SESSION_SECRET is used as that text.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const NAMES = ["ORDER_SIGNING_KEY", "MASTER_KEY", "SESSION_SECRET"];
const fresh = () => randomBytes(32).toString("base64url");

if (!process.argv.includes("--dev-vars")) {
  for (const name of NAMES) process.stdout.write(`${name}=${fresh()}\n`);
  process.exit(0);
}

const path = new URL("../.dev.vars", import.meta.url);
const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
const missing = NAMES.filter((name) => !new RegExp(`^\\s*${name}\\s*=`, "m").test(existing));
if (missing.length > 0) {
  const header = existing
    ? existing.endsWith("\n")
      ? ""
      : "\n"
    : "# Local secrets for wrangler dev only (git-ignored); never reuse them in production.\n";
  const lines = missing.map((name) => `${name}=${fresh()}\n`).join("");
  writeFileSync(path, `${existing}${header}${lines}`, { mode: 0o600 });
  chmodSync(path, 0o600);
  process.stderr.write(`Wrote ${missing.join(", ")} to .dev.vars for wrangler dev\n`);
}
