import { Telegram, TelegramError } from "telegraf";
import type { Sender } from "../deps.ts";
import { SendFailure } from "../services/notify/send-failure.ts";
import { storedTelegramConfig } from "./email-config.ts";

const TIMEOUT_MS = 20_000;

/** Telegram through telegraf's Bot API client (Node); `apiRoot` for a local Bot API server. */
export function telegrafSender(apiRoot: string): Sender {
  return async (channel, message) => {
    const { chatId } = storedTelegramConfig.parse(channel.config);
    const token = channel.secret.botToken;
    if (!token) throw new SendFailure("Telegram: no bot token is stored", true);
    const telegram = new Telegram(token, { apiRoot });
    try {
      const sent = await telegram.callApi(
        "sendMessage",
        {
          chat_id: chatId,
          text: message.telegramHtml,
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
        },
        // telegraf types its own AbortSignal polyfill; node-fetch takes the built-in one.
        { signal: AbortSignal.timeout(TIMEOUT_MS) as never },
      );
      return { answer: `message ${sent.message_id} in chat ${sent.chat.id}` };
    } catch (error) {
      if (error instanceof TelegramError)
        throw telegramFailure(error.code, error.description, error.parameters?.retry_after);
      throw new SendFailure(`Telegram: ${error instanceof Error ? error.message : String(error)}`, false);
    }
  };
}

/** 429 waits as long as Telegram says; 400/401/403 (chat not found, bad token, bot blocked) stop. */
export function telegramFailure(code: number, description: string, retryAfter?: number): SendFailure {
  const permanent = [400, 401, 403, 404].includes(code);
  return new SendFailure(
    `Telegram ${code}: ${description}`,
    permanent,
    retryAfter !== undefined ? retryAfter * 1000 : undefined,
  );
}
