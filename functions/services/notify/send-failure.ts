/**
 * A message a server did not take. `permanent`: sending it again cannot help (bad recipient,
 * chat not found, wrong password) and the row stops; otherwise it is retried with backoff, no
 * sooner than `retryAfterMs` when the server said so (Telegram's 429 retry_after).
 */
export class SendFailure extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A failure as one line for the settings page and the log: never a secret, never a stack. */
export function failureText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").slice(0, 500);
}
