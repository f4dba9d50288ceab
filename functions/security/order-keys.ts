import { fromBase64url, randomBytes } from "./crypto.ts";

/** The hub's Ed25519 key for signing work orders; agents pin its public half at enrollment. */
export interface OrderSigningKey {
  privateKey: CryptoKey;
  publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string };
  kid: string;
}

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): Web Crypto imports a seed only this way. */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** Any 32 random bytes are an Ed25519 private key (its seed, the JWK `d`). */
export function generateOrderSigningSeed(): Uint8Array {
  return randomBytes(32);
}

/** The signing key from its 32-byte seed; the public half is derived, so only the seed is kept. */
export async function loadOrderSigningKey(seed: Uint8Array): Promise<OrderSigningKey> {
  if (seed.length !== 32) throw new Error("An Ed25519 private key is 32 bytes");
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  const extractable = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
  const { x } = (await crypto.subtle.exportKey("jwk", extractable)) as JsonWebKey;
  if (!x) throw new Error("Ed25519 key without a public half");
  // What signs orders cannot be exported again by anything that gets hold of the object.
  const privateKey = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
  return { privateKey, publicJwk: { kty: "OKP", crv: "Ed25519", x }, kid: `hub-${x.slice(0, 12)}` };
}

/** The seed of a private JWK as older hubs kept it in the catalog (`hub.order_signing_key`). */
export function seedFromPrivateJwk(jwk: unknown): Uint8Array | undefined {
  const d = (jwk as { d?: unknown } | null)?.d;
  return typeof d === "string" && /^[A-Za-z0-9_-]{43}$/.test(d) ? fromBase64url(d) : undefined;
}
