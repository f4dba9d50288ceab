import {
  ORDER_ISSUER,
  TAPE_OFFER_TYPE,
  type TapeOfferClaims,
  type TapeTarget,
} from "../../../contracts/agent-protocol.ts";
import type { HubSecrets } from "../../deps.ts";
import { signWithOrderKey } from "./sign-order.ts";

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
