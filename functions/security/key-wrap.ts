import { base64url, fromBase64url, hmacHex, randomBytes, toHex } from "./crypto.ts";

const enc = new TextEncoder();

async function masterCryptoKey(masterKey: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", masterKey as BufferSource, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Wraps a data key with the master key: base64url(nonce ‖ AES-256-GCM(key, aad = purpose)). */
export async function wrapKey(masterKey: Uint8Array, key: Uint8Array, purpose: string): Promise<string> {
  const iv = randomBytes(12);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: iv as BufferSource, additionalData: enc.encode(purpose) },
      await masterCryptoKey(masterKey),
      key as BufferSource,
    ),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return base64url(out);
}

export async function unwrapKey(
  masterKey: Uint8Array,
  wrapped: string,
  purpose: string,
): Promise<Uint8Array> {
  const bytes = fromBase64url(wrapped);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.subarray(0, 12) as BufferSource, additionalData: enc.encode(purpose) },
    await masterCryptoKey(masterKey),
    bytes.subarray(12) as BufferSource,
  );
  return new Uint8Array(plain);
}

/** The fingerprint written on labels and TOCs: SHA-256 of the raw key, hex, first 32 characters. */
export async function keyFingerprint(key: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", key as BufferSource)).slice(0, 32);
}

/**
 * What the catalog keeps to recognise the master key without holding it: an HMAC under the key
 * of a fixed text, so a hub started with another key refuses instead of failing to unwrap later.
 */
export async function masterKeyCheck(masterKey: Uint8Array): Promise<string> {
  return hmacHex(masterKey, "tapebackarr master key check v1");
}
