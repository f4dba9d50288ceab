import { EventEmitter, once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface BotMessage {
  chatId: string;
  text: string;
  parseMode: string | undefined;
}

/** What the next sendMessage gets instead of success: a Bot API error, or no answer at all. */
export type Scripted = { error: number; description: string; retryAfter?: number } | { hold: true };

export interface BotApi {
  /** The apiRoot for telegraf / TELEGRAM_API_ROOT. */
  url: string;
  /** Messages the server accepted (answered ok). */
  messages: BotMessage[];
  /** sendMessage requests of any outcome, in order. */
  requests: number;
  /** Answers for the next sendMessage requests, first first. */
  script: Scripted[];
  /** Resolves when a held request has arrived (a sender is mid-send). */
  held(): Promise<void>;
  waitForMessages(n: number, timeoutMs?: number): Promise<BotMessage[]>;
  /** Cuts the connections of held requests (their senders see a network error). */
  dropHeld(): void;
  close(): Promise<void>;
}

/**
 * A local server speaking the Telegram Bot API's HTTP shape (POST /bot<token>/<method>, JSON
 * `{ ok, result }` or `{ ok: false, error_code, description, parameters: { retry_after } }`):
 * getMe and sendMessage, with errors, 429s and held requests on demand.
 */
export async function startBotApi(token: string): Promise<BotApi> {
  const events = new EventEmitter();
  const holding = new Set<ServerResponse>();
  let nextId = 1;
  const api: BotApi = {
    url: "",
    messages: [],
    requests: 0,
    script: [],
    held: () => once(events, "held").then(() => undefined),
    waitForMessages(n, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (api.messages.length < n) return;
          cleanup();
          resolve(api.messages.slice());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${n} Telegram messages, got ${api.messages.length}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off("message", check);
        };
        events.on("message", check);
        check();
      });
    },
    dropHeld() {
      for (const res of holding) res.socket?.destroy();
      holding.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of holding) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const match = req.url?.match(/^\/bot([^/]+)\/(\w+)$/);
    if (!match) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    if (match[1] !== token)
      return answer(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const body = chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>)
      : {};
    if (match[2] === "getMe")
      return answer(res, 200, {
        ok: true,
        result: { id: 42, is_bot: true, first_name: "Tapes", username: "tapes_test_bot" },
      });
    if (match[2] !== "sendMessage")
      return answer(res, 404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    api.requests++;
    const scripted = api.script.shift();
    if (scripted && "hold" in scripted) {
      holding.add(res);
      events.emit("held");
      return;
    }
    if (scripted)
      return answer(res, scripted.error, {
        ok: false,
        error_code: scripted.error,
        description: scripted.description,
        ...(scripted.retryAfter !== undefined ? { parameters: { retry_after: scripted.retryAfter } } : {}),
      });
    if (typeof body.chat_id !== "string" && typeof body.chat_id !== "number")
      return answer(res, 400, { ok: false, error_code: 400, description: "Bad Request: chat not found" });
    const message = {
      chatId: String(body.chat_id),
      text: String(body.text),
      parseMode: body.parse_mode as string,
    };
    api.messages.push(message);
    answer(res, 200, {
      ok: true,
      result: {
        message_id: nextId++,
        date: 0,
        chat: { id: Number(body.chat_id), type: "group" },
        text: body.text,
      },
    });
    events.emit("message");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
