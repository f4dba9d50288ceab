import { calculateJwkThumbprint } from "jose";
import type { Deps } from "../../deps.ts";
import { VERSION } from "../../version.ts";

/** What an operator may want to check about this hub, none of it changeable in a page. */
export async function hubFacts(deps: Pick<Deps, "secrets" | "runtime">) {
  return {
    version: VERSION,
    database: deps.runtime?.database ?? "unknown",
    scheduler: deps.runtime?.scheduler ?? "unknown",
    /** SHA-256 JWK thumbprint of the order-signing public key; agents pin this key at enrollment. */
    orderKeyFingerprint: await calculateJwkThumbprint(deps.secrets.orderKey.publicJwk, "sha256"),
  };
}
