import { base64url, randomBytes, toHex } from "./crypto.ts";

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
  const bytes = Uint8Array.from(atob(wrapped.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
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
