import { describe, expect, it } from "vitest";
import type { TapeTarget } from "../../../contracts/agent-protocol.ts";
import { createOrderVerifier, verifyTapeOffer } from "../../../drive-agent/runtime/verify-order.ts";
import type { HubSecrets } from "../../../functions/deps.ts";
import { generateOrderSigningSeed, loadOrderSigningKey } from "../../../functions/security/order-keys.ts";
import { signOrder } from "../../../functions/services/orders/sign-order.ts";
import { signTapeOffer } from "../../../functions/services/orders/sign-tape-offer.ts";

const AGENT = "agent-under-test";
const ORDER = "0b5f6f0e-6d43-4a51-9c1c-2f1f2d4c7a10";
const TAPES: TapeTarget[] = [{ barcode: "TB0002L9", label: "T2", uuid: crypto.randomUUID(), nextFile: 1 }];

async function hubAndAgent(now = () => Math.floor(Date.now() / 1000)) {
  const orderKey = await loadOrderSigningKey(generateOrderSigningSeed());
  const secrets = { orderKey } as Partial<HubSecrets> as HubSecrets;
  const verifier = await createOrderVerifier(
    { agentId: AGENT, hubSigningKey: orderKey.publicJwk },
    { skewSeconds: 30, isSeen: () => false, nowSeconds: now },
  );
  return { secrets, verifier };
}

describe("the hub's offer of tapes to a backup waiting for one", () => {
  it("is taken when the pinned hub key signed it for this agent and this order", async () => {
    const { secrets, verifier } = await hubAndAgent();
    const jws = await signTapeOffer(secrets, { agentId: AGENT, orderId: ORDER, tapes: TAPES }, new Date());
    expect(await verifyTapeOffer(jws, verifier, ORDER)).toEqual(TAPES);
  });

  it("is refused when signed by another key, for another order or agent, expired, or when it is an order", async () => {
    const { secrets, verifier } = await hubAndAgent();
    const stranger = await hubAndAgent();
    const offer = (orderId: string, agentId = AGENT, at = new Date()) =>
      signTapeOffer(secrets, { agentId, orderId, tapes: TAPES }, at);
    const forged = await signTapeOffer(
      stranger.secrets,
      { agentId: AGENT, orderId: ORDER, tapes: TAPES },
      new Date(),
    );
    await expect(verifyTapeOffer(forged, verifier, ORDER)).rejects.toThrow();
    await expect(verifyTapeOffer(await offer(crypto.randomUUID()), verifier, ORDER)).rejects.toThrow(
      /another order/,
    );
    await expect(verifyTapeOffer(await offer(ORDER, "someone-else"), verifier, ORDER)).rejects.toThrow(
      /another order/,
    );
    const old = new Date(Date.now() - 3_600_000);
    await expect(verifyTapeOffer(await offer(ORDER, AGENT, old), verifier, ORDER)).rejects.toThrow(/expired/);
    const order = await signOrder(
      secrets,
      {
        id: ORDER,
        agentId: AGENT,
        body: {
          kind: "eject",
          runId: null,
          drive: { devicePath: "/dev/nst0" },
          expectedBarcode: "TB0002L9",
        },
      },
      new Date(),
    );
    await expect(verifyTapeOffer(order, verifier, ORDER)).rejects.toThrow(/type/);
  });
});
