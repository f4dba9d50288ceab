import { CompactEncrypt, CompactSign, importJWK } from "jose";
import {
  ORDER_ISSUER,
  ORDER_TYPE,
  type OrderBody,
  type OrderClaims,
  TAPE_OFFER_TYPE,
  type TapeOfferClaims,
  type TapeTarget,
} from "../../../contracts/agent-protocol.ts";
import type { HubSecrets } from "../../deps.ts";
import type { AgentKeys } from "../agents/agent-auth.ts";

/** Orders live minutes: long enough for one long-poll round trip, short enough to be useless later. */
export const ORDER_TTL_SECONDS = 600;

/** A compact JWS over the order claims, signed with the hub's Ed25519 key, audience = the agent. */
export async function signOrder(
  secrets: HubSecrets,
  order: { id: string; agentId: string; body: OrderBody },
  now: Date,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const claims: OrderClaims = {
    iss: ORDER_ISSUER,
    aud: order.agentId,
    jti: order.id,
    iat,
    exp: iat + ORDER_TTL_SECONDS,
    body: order.body,
  };
  return signWithOrderKey(secrets, ORDER_TYPE, claims);
}

/** A compact JWS of `claims` with the hub's order key; `typ` tells an order from an offer. */
function signWithOrderKey(secrets: HubSecrets, typ: string, claims: object): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "EdDSA", typ, kid: secrets.orderKey.kid })
    .sign(secrets.orderKey.privateKey);
}

/** An offer lives as long as a few progress answers: the next answer while waiting renews it. */
export const TAPE_OFFER_TTL_SECONDS = 120;

/** The tapes a waiting backup may go on with, signed like an order: only the hub says which. */
export async function signTapeOffer(
  secrets: HubSecrets,
  offer: { agentId: string; orderId: string; tapes: TapeTarget[] },
  now: Date,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const claims: TapeOfferClaims = {
    iss: ORDER_ISSUER,
    aud: offer.agentId,
    sub: offer.orderId,
    iat,
    exp: iat + TAPE_OFFER_TTL_SECONDS,
    tapes: offer.tapes,
  };
  return signWithOrderKey(secrets, TAPE_OFFER_TYPE, claims);
}

/** Seals a data key to the agent's X25519 key so only that agent can read it. */
export async function sealDataKey(agentKeys: AgentKeys, key: Uint8Array): Promise<string> {
  const publicKey = await importJWK({ ...agentKeys.encryption, alg: "ECDH-ES+A256KW" }, "ECDH-ES+A256KW");
  return new CompactEncrypt(key)
    .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM", cty: "tapebackarr-data-key" })
    .encrypt(publicKey);
}
