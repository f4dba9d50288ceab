import { createTransport } from "nodemailer";
import type { Sender } from "../deps.ts";
import { SendFailure } from "../services/notify/send-failure.ts";
import { storedEmailConfig } from "./email-config.ts";

const TIMEOUT_MS = 20_000;

/**
 * SMTP through nodemailer (Node only: it needs a TCP socket). STARTTLS is required unless the
 * channel says "tls" (implicit TLS, port 465) or "none" (a local relay on port 25). The
 * outbox row's key is the Message-ID, so a mail sent again after a crash is the same mail.
 * `tls`: extra TLS options, e.g. a test's CA; the system's trust store otherwise.
 */
export function smtpSender(tls: { ca?: string | Buffer } = {}): Sender {
  return async (channel, message) => {
    const config = storedEmailConfig.parse(channel.config);
    const transport = createTransport({
      host: config.host,
      port: config.port,
      secure: config.security === "tls",
      requireTLS: config.security === "starttls",
      ignoreTLS: config.security === "none",
      auth: config.username ? { user: config.username, pass: channel.secret.password ?? "" } : undefined,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
      tls,
    });
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: config.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: `<${message.idempotencyKey}@tapebackarr>`,
      });
      return { answer: info.response };
    } catch (error) {
      throw smtpFailure(error);
    } finally {
      transport.close();
    }
  };
}

/** A 5xx answer (bad recipient, auth refused) will not change by itself; anything else may. */
function smtpFailure(error: unknown): SendFailure {
  const e = error as { responseCode?: number; response?: string; code?: string; message?: string };
  const said = e.response ?? e.message ?? String(error);
  const permanent = typeof e.responseCode === "number" && e.responseCode >= 500;
  return new SendFailure(`SMTP: ${said}${e.code && !e.response ? ` (${e.code})` : ""}`, permanent);
}
