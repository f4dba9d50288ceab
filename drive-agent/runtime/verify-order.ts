import { compactVerify, importJWK } from "jose";
import {
  ORDER_TYPE,
  OrderClaims,
  TAPE_OFFER_TYPE,
  TapeOfferClaims,
  type TapeTarget,
} from "../../contracts/agent-protocol.ts";
import type { AgentConfig } from "../config.ts";

export type OrderVerdict =
  | { ok: true; claims: OrderClaims }
  | {
      ok: false;
      reason: "bad-signature" | "bad-type" | "malformed" | "wrong-audience" | "expired" | "replayed";
      detail: string;
    };

export type OrderVerifier = {
  hubKey: CryptoKey;
  agentId: string;
  skewSeconds: number;
  isSeen: (jti: string) => boolean;
  nowSeconds: () => number;
};

export async function createOrderVerifier(
  config: Pick<AgentConfig, "hubSigningKey" | "agentId">,
  options: Omit<OrderVerifier, "hubKey" | "agentId">,
): Promise<OrderVerifier> {
  const hubKey = (await importJWK({ ...config.hubSigningKey, alg: "EdDSA" }, "EdDSA")) as CryptoKey;
  return { hubKey, agentId: config.agentId, ...options };
}

/**
 * Checks a work order as it came off the wire: the signature over the raw compact JWS with the
 * pinned hub key (EdDSA only) before a single byte of the payload is parsed, then the claims.
 */
export async function verifyOrder(jws: string, v: OrderVerifier): Promise<OrderVerdict> {
  let payload: Uint8Array;
  try {
    const verified = await compactVerify(jws, v.hubKey, { algorithms: ["EdDSA"] });
    if (verified.protectedHeader.typ !== ORDER_TYPE)
      return { ok: false, reason: "bad-type", detail: `typ ${String(verified.protectedHeader.typ)}` };
    payload = verified.payload;
  } catch (error) {
    return { ok: false, reason: "bad-signature", detail: (error as Error).name };
  }
  let claims: OrderClaims;
  try {
    claims = OrderClaims.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch (error) {
    return { ok: false, reason: "malformed", detail: (error as Error).message.slice(0, 300) };
  }
  if (claims.aud !== v.agentId) return { ok: false, reason: "wrong-audience", detail: `aud ${claims.aud}` };
  const now = v.nowSeconds();
  if (claims.exp + v.skewSeconds < now) return { ok: false, reason: "expired", detail: `exp ${claims.exp}` };
  if (claims.iat - v.skewSeconds > now)
    return { ok: false, reason: "expired", detail: `issued in the future (iat ${claims.iat})` };
  if (v.isSeen(claims.jti)) return { ok: false, reason: "replayed", detail: `jti ${claims.jti}` };
  return { ok: true, claims };
}

/**
 * Checks the hub's offer of tapes to a waiting backup as strictly as an order (pinned key, type,
 * audience, this order, not expired) and returns its tapes; throws saying why otherwise.
 */
export async function verifyTapeOffer(jws: string, v: OrderVerifier, orderId: string): Promise<TapeTarget[]> {
  const verified = await compactVerify(jws, v.hubKey, { algorithms: ["EdDSA"] });
  if (verified.protectedHeader.typ !== TAPE_OFFER_TYPE)
    throw new Error(`tape offer of type ${String(verified.protectedHeader.typ)}`);
  const claims = TapeOfferClaims.parse(JSON.parse(new TextDecoder().decode(verified.payload)));
  if (claims.aud !== v.agentId || claims.sub !== orderId) throw new Error("tape offer for another order");
  const now = v.nowSeconds();
  if (claims.exp + v.skewSeconds < now || claims.iat - v.skewSeconds > now)
    throw new Error("tape offer expired");
  return claims.tapes;
}
