import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ProxiedRequest = { method: string; path: string; body: string };
/** An answer the proxy gives instead of the hub's, or null to pass the request on. */
export type ProxyRule = (req: ProxiedRequest) => Promise<{ status: number; json: unknown } | null>;

/**
 * A loopback reverse proxy in front of the real hub, where the agent is enrolled: it passes every
 * request on, unless a test's rule answers instead (a refusal the hub would give) or the proxy is
 * down (connections refused, as with a hub host that is off). It is the network between the two,
 * not a second hub.
 */
export async function startHubProxy(target: string) {
  let rule: ProxyRule | null = null;
  let downAfter: RegExp | null = null;
  const seen: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const request = { method: req.method ?? "GET", path: req.url ?? "/", body: body.toString("utf8") };
    seen.push(request);
    const answer = rule ? await rule(request) : null;
    if (answer) {
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.json));
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const upstream = await fetch(`${target}${request.path}`, {
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? undefined : body,
    });
    const reply = Buffer.from(await upstream.arrayBuffer());
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
    });
    const goDown = downAfter?.test(request.path) === true;
    if (goDown) downAfter = null;
    res.end(reply, () => {
      if (goDown) void proxy.down();
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let up = true;

  const proxy = {
    url: `http://127.0.0.1:${port}`,
    seen,
    setRule(next: ProxyRule | null) {
      rule = next;
    },
    /** Goes down right after it has answered the next request whose path matches. */
    downAfter(pattern: RegExp) {
      downAfter = pattern;
    },
    isUp: () => up,
    /** Refuses connections from now on, and drops the open ones (a long poll, a post in flight). */
    async down() {
      if (!up) return;
      up = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    async up() {
      if (up) return;
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      up = true;
    },
    async close() {
      await proxy.down();
    },
  };
  return proxy;
}
