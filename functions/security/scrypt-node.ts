import { scrypt } from "node:crypto";
import type { Scrypt } from "../../contracts/key-export.ts";

/** scrypt from node:crypto (OpenSSL), for the Node hub and the drive-agent. */
export const nodeScrypt: Scrypt = (passphrase, salt, { N, r, p }) =>
  new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 24) }, (error, key) =>
      error ? reject(error) : resolve(new Uint8Array(key)),
    ),
  );
