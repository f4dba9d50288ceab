import { hmacHex, timingSafeEqual } from "./crypto.ts";

/**
 * CSRF token bound to the session: HMAC(session key, "csrf:" + session id). Stateless, so
 * any hub instance can check it; pages put it in a meta tag and htmx sends it as a header.
 */
export function csrfTokenFor(key: Uint8Array, sessionId: string): Promise<string> {
  return hmacHex(key, `csrf:${sessionId}`);
}

export async function csrfTokenValid(
  key: Uint8Array,
  sessionId: string,
  presented: string | undefined,
): Promise<boolean> {
  if (!presented) return false;
  return timingSafeEqual(await csrfTokenFor(key, sessionId), presented);
}
