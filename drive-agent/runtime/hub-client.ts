import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SignJWT } from "jose";
import { AGENT_API_PREFIX, AGENT_TOKEN_AUDIENCE } from "../../contracts/agent-protocol.ts";

/** A hub answer that retrying cannot fix (4xx other than 408/429): the caller drops or reports it. */
export class HubRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    path: string,
  ) {
    super(`hub refused ${path}: ${status} ${hubMessage(body)}`);
    this.name = "HubRefused";
  }
}

/**
 * The hub answered 401 to a signed request: it does not know this agent (a new or lost catalog,
 * the agent removed there) or has disabled it. Only an operator can help: say so in words.
 */
export function unknownAgentAdvice(
  error: unknown,
  hubUrl: string,
  agentId: string,
  stateDir: string,
): string | null {
  if (!(error instanceof HubRefused) || error.status !== 401) return null;
  return (
    `the hub at ${hubUrl} does not know agent ${agentId} (it answers 401: its catalog is new or was lost, ` +
    `or the agent was removed or disabled there). Re-enrol with a token (an admin creates one under Agents): ` +
    `drive-agent enroll --hub ${hubUrl} --token TOKEN --state-dir ${stateDir} --force`
  );
}

export class HubUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HubUnreachable";
  }
}

function hubMessage(body: string): string {
  try {
    return (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

export type HubResponse = { status: number; json: unknown };

export type SendOptions = {
  signal?: AbortSignal;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Keep retrying network errors and 5xx until this resolves/aborts; default: one attempt. */
  retry?: { until: AbortSignal; onRetry?: (error: Error, attempt: number, delayMs: number) => void };
};

const TOKEN_SECONDS = 120;

/** The agent's only door to the hub: signed request tokens, JSON, timeouts, retry with backoff. */
export class HubClient {
  constructor(
    readonly hubUrl: string,
    private readonly agentId: string,
    private readonly signingKey: CryptoKey,
  ) {}

  /** A fresh short-lived EdDSA JWT per request: a leaked one is useless within minutes. */
  private token(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA" })
      .setIssuer(this.agentId)
      .setAudience(AGENT_TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_SECONDS)
      .sign(this.signingKey);
  }

  send(method: "GET" | "POST", path: string, body: unknown, options: SendOptions = {}): Promise<HubResponse> {
    return this.sendJson(method, path, body === undefined ? undefined : JSON.stringify(body), options);
  }

  /** GET a file the hub streams (the catalog snapshot) into `dest`; its size in bytes. */
  async download(path: string, dest: string, signal?: AbortSignal): Promise<number> {
    const res = await fetch(new URL(`${AGENT_API_PREFIX}${path}`, this.hubUrl), {
      headers: { authorization: `Bearer ${await this.token()}` },
      ...(signal ? { signal } : {}),
    });
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => "");
      throw new HubRefused(res.status, text, `GET ${path}`);
    }
    let bytes = 0;
    const counted = Readable.fromWeb(res.body as never).on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    await pipeline(counted, createWriteStream(dest, { mode: 0o600 }));
    return bytes;
  }

  /** As send, with the body already encoded as JSON (a report kept on disk is sent as it is). */
  async sendJson(
    method: "GET" | "POST",
    path: string,
    json: string | undefined,
    options: SendOptions = {},
  ): Promise<HubResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, json, options);
      } catch (error) {
        const retry = options.retry;
        if (error instanceof HubRefused || !retry || retry.until.aborted || options.signal?.aborted)
          throw error;
        const delay = backoffMs(attempt);
        retry.onRetry?.(error as Error, attempt, delay);
        await sleep(delay, AbortSignal.any([retry.until, ...(options.signal ? [options.signal] : [])]));
        // Called off during the wait: no further attempt (it could hold a stopping agent a whole timeout).
        if (retry.until.aborted || options.signal?.aborted) throw error;
      }
    }
  }

  private async once(
    method: string,
    path: string,
    body: string | undefined,
    options: SendOptions,
  ): Promise<HubResponse> {
    const signals = [AbortSignal.timeout(options.timeoutMs ?? 30_000)];
    if (options.signal) signals.push(options.signal);
    let res: Response;
    try {
      res = await fetch(new URL(`${AGENT_API_PREFIX}${path}`, this.hubUrl), {
        method,
        headers: {
          authorization: `Bearer ${await this.token()}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body,
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new HubUnreachable(`cannot reach the hub at ${this.hubUrl}: ${causeOf(error)}`, { cause: error });
    }
    const text = await res.text().catch(() => "");
    if (res.status >= 500 || res.status === 408 || res.status === 429)
      throw new HubUnreachable(`hub answered ${res.status} to ${method} ${path}: ${hubMessage(text)}`);
    if (res.status >= 400) throw new HubRefused(res.status, text, `${method} ${path}`);
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }
}

export function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** 0.5 s, 1 s, 2 s ... capped at 30 s, with jitter so a fleet does not return in step. */
export function backoffMs(attempt: number): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
