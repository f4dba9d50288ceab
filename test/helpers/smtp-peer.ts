import { EventEmitter, once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { runCommand } from "../../drive-agent/exec.ts";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** The session had upgraded with STARTTLS (or started in TLS) before the message. */
  secure: boolean;
  user: string | undefined;
}

export interface SmtpPeer {
  port: number;
  /** The self-signed certificate the peer presents, for the sender's CA. */
  cert: string;
  mails: ReceivedMail[];
  /** Resolves once `n` mails have arrived in total. */
  waitForMails(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1, made by openssl for this test run. */
async function selfSignedCert(): Promise<{ key: string; cert: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tb-smtp-cert-"));
  try {
    const made = await runCommand({
      argv: [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      timeoutMs: 30_000,
    });
    if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1: STARTTLS with a self-signed certificate, AUTH
 * PLAIN/LOGIN required (and offered only after STARTTLS, as smtp-server does by default).
 */
export async function startSmtpPeer(auth: { user: string; pass: string }): Promise<SmtpPeer> {
  const { key, cert } = await selfSignedCert();
  const mails: ReceivedMail[] = [];
  const arrived = new EventEmitter();
  const server = new SMTPServer({
    key,
    cert,
    authMethods: ["PLAIN", "LOGIN"],
    logger: false,
    onAuth(credentials, _session, callback) {
      if (credentials.username === auth.user && credentials.password === auth.pass)
        return callback(null, { user: credentials.username });
      return callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        arrived.emit("mail");
        callback();
      });
    },
  });
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    cert,
    mails,
    waitForMails(n, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (mails.length < n) return;
          cleanup();
          resolve(mails.slice());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${n} mails, got ${mails.length}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          arrived.off("mail", check);
        };
        arrived.on("mail", check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A mail's body parts decoded (quoted-printable or base64), so a test reads what a client shows. */
export function decodedParts(raw: string): { text: string; html: string; subject: string } {
  const subject = raw.match(/^Subject: (.*(?:\r?\n[ \t].*)*)/m)?.[1]?.replace(/\r?\n[ \t]/g, " ") ?? "";
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  const part = (type: string) => {
    const p = parts.find((x) => new RegExp(`^Content-Type: ${type}`, "im").test(x));
    if (!p) return "";
    const [head, ...rest] = p.split(/\r?\n\r?\n/);
    const body = rest.join("\n\n").replace(/\r?\n--[^\r\n]+--\s*$/, "");
    if (/Content-Transfer-Encoding: base64/i.test(head ?? ""))
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    if (/Content-Transfer-Encoding: quoted-printable/i.test(head ?? ""))
      return Buffer.from(
        body
          .replace(/=\r?\n/g, "")
          .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
        "latin1",
      ).toString("utf8");
    return body;
  };
  return { text: part("text/plain"), html: part("text/html"), subject };
}
