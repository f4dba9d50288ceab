import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/** The hub's Ed25519 key for signing work orders; agents pin its public half at enrollment. */
export interface OrderSigningKey {
  privateKey: CryptoKey;
  publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string };
  kid: string;
}

export async function generateOrderSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return exportJWK(privateKey);
}

export async function loadOrderSigningKey(privateJwk: JWK): Promise<OrderSigningKey> {
  const privateKey = (await importJWK({ ...privateJwk, alg: "EdDSA" }, "EdDSA")) as CryptoKey;
  const x = String(privateJwk.x);
  return { privateKey, publicJwk: { kty: "OKP", crv: "Ed25519", x }, kid: `hub-${x.slice(0, 12)}` };
}
