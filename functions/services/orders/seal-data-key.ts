import { CompactEncrypt, importJWK } from "jose";
import type { AgentKeys } from "../agents/agent-auth.ts";

/** Seals a data key to the agent's X25519 key so only that agent can read it. */
export async function sealDataKey(agentKeys: AgentKeys, key: Uint8Array): Promise<string> {
  const publicKey = await importJWK({ ...agentKeys.encryption, alg: "ECDH-ES+A256KW" }, "ECDH-ES+A256KW");
  return new CompactEncrypt(key)
    .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM", cty: "tapebackarr-data-key" })
    .encrypt(publicKey);
}
