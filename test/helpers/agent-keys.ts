import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { AGENT_TOKEN_AUDIENCE } from "../../contracts/agent-protocol.ts";

type PublicJwk = { kty?: string; crv?: string; x?: string };

/**
 * The two key pairs a drive-agent makes at enrollment (Ed25519 to sign its requests, X25519 for
 * the keys wrapped to it) and their public halves as the enroll request carries them.
 */
export async function agentKeyPairs(): Promise<{
  signing: CryptoKeyPair;
  encryption: CryptoKeyPair;
  signingKey: PublicJwk;
  encryptionKey: PublicJwk;
}> {
  const signing = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const encryption = await generateKeyPair("ECDH-ES+A256KW", { crv: "X25519", extractable: true });
  const pub = async (key: CryptoKey) => {
    const { kty, crv, x } = await exportJWK(key);
    return { kty, crv, x };
  };
  return {
    signing,
    encryption,
    signingKey: await pub(signing.publicKey),
    encryptionKey: await pub(encryption.publicKey),
  };
}

/** A request token of the agent `iss`, issued at `nowSeconds` and valid for `lifeSeconds`, signed with `key`. */
export function agentToken(
  iss: string,
  key: CryptoKey,
  nowSeconds: number,
  lifeSeconds: number,
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA" })
    .setIssuer(iss)
    .setAudience(AGENT_TOKEN_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + lifeSeconds)
    .sign(key);
}
