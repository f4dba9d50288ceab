import { CompactSign } from "jose";
import {
  ORDER_ISSUER,
  ORDER_TYPE,
  type OrderBody,
  type OrderClaims,
} from "../../../contracts/agent-protocol.ts";
import type { HubSecrets } from "../../deps.ts";

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
export function signWithOrderKey(secrets: HubSecrets, typ: string, claims: object): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "EdDSA", typ, kid: secrets.orderKey.kid })
    .sign(secrets.orderKey.privateKey);
}
