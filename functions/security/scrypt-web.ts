import { scryptAsync } from "@noble/hashes/scrypt.js";
import type { Scrypt } from "../../contracts/key-export.ts";

/** scrypt in plain JavaScript for workerd, which has no node:crypto without nodejs_compat. */
export const webScrypt: Scrypt = (passphrase, salt, { N, r, p }) =>
  scryptAsync(passphrase, salt, { N, r, p, dkLen: 32, maxmem: 256 * N * r + (1 << 24) });
