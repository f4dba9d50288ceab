import type { Sender } from "../deps.ts";
import { SendFailure } from "../services/notify/send-failure.ts";
import { storedTelegramConfig } from "./email-config.ts";

/**
 * Telegram's sendMessage over fetch, for workerd (telegraf needs Node's http); the same request
 * and the same reading of errors as telegram-telegraf.ts.
 */
export function fetchTelegramSender(apiRoot: string): Sender {
  return async (channel, message) => {
    const { chatId } = storedTelegramConfig.parse(channel.config);
    const token = channel.secret.botToken;
    if (!token) throw new SendFailure("Telegram: no bot token is stored", true);
    let response: Response;
    try {
      response = await fetch(`${apiRoot.replace(/\/$/, "")}/bot${token}/sendMessage`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_id: chatId,
          text: message.telegramHtml,
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
        }),
        signal: AbortSignal.timeout(20_000),
      });
    } catch (error) {
      // The URL holds the token: say what failed without it.
      throw new SendFailure(`Telegram: ${error instanceof Error ? error.name : "request failed"}`, false);
    }
    const body = (await response.json().catch(() => null)) as {
      ok?: boolean;
      result?: { message_id: number; chat: { id: number } };
      error_code?: number;
      description?: string;
      parameters?: { retry_after?: number };
    } | null;
    if (body?.ok && body.result)
      return { answer: `message ${body.result.message_id} in chat ${body.result.chat.id}` };
    const code = body?.error_code ?? response.status;
    const permanent = [400, 401, 403, 404].includes(code);
    const retry = body?.parameters?.retry_after;
    throw new SendFailure(
      `Telegram ${code}: ${body?.description ?? response.statusText}`,
      permanent,
      retry !== undefined ? retry * 1000 : undefined,
    );
  };
}
