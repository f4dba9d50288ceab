import { createServer } from "node:http";

/** The floor: Node's own HTTP server answering a fixed JSON body, no framework, no database. */
const body = JSON.stringify({ status: "ok" });
const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(
    `baseline listening on ${typeof address === "object" && address ? address.port : 0}\n`,
  );
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
