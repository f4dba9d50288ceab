import { request as httpRequest } from "node:http";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

/** How the agent reaches the PVE API: the token secret in the clear, only in memory. */
export type PveAccess = {
  apiUrl: string;
  tokenId: string;
  tokenSecret: string;
  /** Pinned SHA-256 of the server's certificate (AA:BB:… upper case); null: system store. */
  fingerprint: string | null;
  timeoutMs?: number;
  /** Extra trusted CAs (tests with a CA of their own); production uses the system store. */
  ca?: string;
};

/** The API said no, or could not be reached; the words say what to do. Never holds the secret. */
export class PveError extends Error {
  constructor(
    readonly code:
      | "tls-untrusted"
      | "tls-mismatch"
      | "auth"
      | "forbidden"
      | "not-found"
      | "api"
      | "unreachable",
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "PveError";
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A small client of the PVE JSON API (`/api2/json/…`) with an API token. The TLS handshake is
 * finished and the certificate checked (system store, or the pinned fingerprint) before a single
 * byte of the request, and so the token, is sent (docs/adr/0016).
 */
export class PveClient {
  private readonly url: URL;

  constructor(private readonly access: PveAccess) {
    this.url = new URL(access.apiUrl);
  }

  get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    return this.call<T>("GET", path, query);
  }

  /** The certificate's SHA-256 fingerprint the server presents (what an operator would pin). */
  async presentedFingerprint(): Promise<string> {
    const socket = await this.handshake(false);
    const fp = socket.getPeerCertificate().fingerprint256;
    socket.destroy();
    return fp;
  }

  private handshake(verify: boolean): Promise<TLSSocket> {
    const { url, access } = this;
    const port = Number(url.port || 443);
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host: url.hostname,
        port,
        servername: isIp(url.hostname) ? undefined : url.hostname,
        // With a pin, the fingerprint alone decides (a self-signed PVE cert has no chain to check).
        rejectUnauthorized: verify,
        ...(access.ca ? { ca: access.ca } : {}),
      });
      const timer = setTimeout(
        () => socket.destroy(new Error(`no TLS handshake within ${this.timeout()} ms`)),
        this.timeout(),
      );
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  private timeout(): number {
    return this.access.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** A socket whose peer is the PVE node we mean, or a PveError naming what it presented. */
  private async trustedSocket(): Promise<TLSSocket> {
    const where = `the PVE API at ${this.url.host}`;
    const pinned = this.access.fingerprint;
    let socket: TLSSocket;
    try {
      socket = await this.handshake(pinned === null);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (pinned === null && isCertificateError(e)) {
        const seen = await this.presentedFingerprint().catch(() => "unknown");
        throw new PveError(
          "tls-untrusted",
          `${where} presented a certificate the system store does not trust (${e.code ?? e.message}); ` +
            `refused, the token was not sent. Its SHA-256 fingerprint is ${seen}: compare it with the node's ` +
            `(pvenode cert info) and pin it in the source, or give the node a certificate the system trusts`,
        );
      }
      throw new PveError("unreachable", `${where} cannot be reached: ${e.message}`);
    }
    if (pinned !== null) {
      const seen = socket.getPeerCertificate().fingerprint256?.toUpperCase() ?? "";
      if (seen !== pinned.toUpperCase()) {
        socket.destroy();
        throw new PveError(
          "tls-mismatch",
          `${where} presented a certificate with SHA-256 fingerprint ${seen}, not the pinned ${pinned}; ` +
            "refused, the token was not sent. If the node's certificate was renewed, pin the new fingerprint",
        );
      }
    }
    return socket;
  }

  private async call<T>(method: "GET" | "POST", path: string, query: Record<string, string>): Promise<T> {
    const socket = await this.trustedSocket();
    const target = new URL(`/api2/json${path}`, this.url);
    for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
    const { tokenId, tokenSecret } = this.access;
    return new Promise<T>((resolve, reject) => {
      // HTTP over the TLS socket checked above: nothing is written before that check.
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port || 443,
          path: `${target.pathname}${target.search}`,
          method,
          createConnection: () => socket,
          headers: {
            Host: target.host,
            Authorization: `PVEAPIToken=${tokenId}=${tokenSecret}`,
            Accept: "application/json",
            Connection: "close",
          },
          timeout: this.timeout(),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            // PVE puts its reason in the status line (e.g. "401 authentication failure").
            const reason = res.statusMessage ?? "";
            if (status === 401)
              return reject(
                new PveError(
                  "auth",
                  `the PVE API refused token ${tokenId} (401 ${reason}): check the token id and secret, and that the token is not expired or deleted`,
                  status,
                ),
              );
            if (status === 403)
              return reject(
                new PveError(
                  "forbidden",
                  `token ${tokenId} may not ${method} ${path} (403 ${reason}); give its role the privileges the operator guide lists`,
                  status,
                ),
              );
            if (status < 200 || status >= 300)
              return reject(
                new PveError(
                  status === 404 || /does not exist/.test(reason + text) ? "not-found" : "api",
                  `${method} ${path}: ${status} ${reason}`.trim(),
                  status,
                ),
              );
            try {
              resolve((JSON.parse(text) as { data: T }).data);
            } catch {
              reject(new PveError("api", `${method} ${path}: the answer is not JSON`, status));
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeout()} ms`)));
      req.on("error", (error) => {
        reject(
          error instanceof PveError
            ? error
            : new PveError("unreachable", `${method} ${path}: ${error.message}`),
        );
      });
      req.end();
    });
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

function isCertificateError(e: NodeJS.ErrnoException): boolean {
  return (
    typeof e.code === "string" &&
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/.test(e.code)
  );
}
