import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CompactSign, exportJWK, generateKeyPair } from "jose";
import { ORDER_ISSUER, ORDER_TYPE, type OrderBody } from "../../contracts/agent-protocol.ts";

/**
 * A hub made of the agent protocol alone, for the agent's security tests: it enrolls any token,
 * serves exactly the order strings a test queues (forged, expired, replayed ...) and records
 * every ack and result, which is how a test proves an order was or was not executed.
 */
export async function startStandInHub() {
  const signing = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const { kty, crv, x } = await exportJWK(signing.publicKey);
  const agentId = "agent-under-test";
  const queue: string[] = [];
  const waiting = new Set<() => void>();
  const acks: string[] = [];
  const results: { orderId: string; body: unknown }[] = [];
  const served: string[] = [];

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const reply = (status: number, json?: unknown) => {
        res.writeHead(status, json === undefined ? {} : { "content-type": "application/json" });
        res.end(json === undefined ? undefined : JSON.stringify(json));
      };
      if (url.pathname === "/agent/v1/enroll") return reply(200, { agentId, hubSigningKey: { kty, crv, x } });
      if (url.pathname === "/agent/v1/heartbeat") return reply(204);
      if (url.pathname === "/agent/v1/orders/next") {
        const deliver = () => {
          const order = queue.shift();
          if (order === undefined) return false;
          served.push(order);
          reply(200, { order });
          return true;
        };
        if (deliver()) return;
        const timer = setTimeout(done, Number(url.searchParams.get("wait") ?? 0) * 1000);
        req.socket.once("close", done);
        waiting.add(check);
        function check() {
          if (deliver()) cleanup();
        }
        function done() {
          cleanup();
          if (!res.headersSent) reply(204);
        }
        function cleanup() {
          clearTimeout(timer);
          waiting.delete(check);
        }
        return;
      }
      const m = /^\/agent\/v1\/orders\/([^/]+)\/(\w+)$/.exec(url.pathname);
      if (m?.[2] === "ack") acks.push(m[1] as string);
      if (m?.[2] === "result") results.push({ orderId: m[1] as string, body: JSON.parse(raw) });
      if (m?.[2] === "progress") return reply(200, { control: "continue" });
      return reply(204);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    agentId,
    acks,
    results,
    served,
    /** Signs claims the way the real hub does, with any key, audience and times a test wants. */
    async sign(
      body: OrderBody,
      opts: { jti?: string; aud?: string; expIn?: number; key?: CryptoKey; typ?: string } = {},
    ) {
      const iat = Math.floor(Date.now() / 1000);
      const claims = {
        iss: ORDER_ISSUER,
        aud: opts.aud ?? agentId,
        jti: opts.jti ?? crypto.randomUUID(),
        iat,
        exp: iat + (opts.expIn ?? 600),
        body,
      };
      return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg: "EdDSA", typ: opts.typ ?? ORDER_TYPE })
        .sign(opts.key ?? signing.privateKey);
    },
    serve(order: string) {
      queue.push(order);
      for (const check of [...waiting]) check();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
