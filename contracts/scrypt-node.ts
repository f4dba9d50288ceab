import { scrypt } from "node:crypto";
import type { Scrypt } from "./key-export.ts";

/** The contract's KDF from node:crypto (OpenSSL), for the Node hub and the drive-agent alike. */
export const nodeScrypt: Scrypt = (passphrase, salt, { N, r, p }) =>
  new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 24) }, (error, key) =>
      error ? reject(error) : resolve(new Uint8Array(key)),
    ),
  );
