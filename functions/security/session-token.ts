import { jwtVerify, SignJWT } from "jose";

const ISSUER = "tapebackarr-hub";
const AUDIENCE = "tapebackarr-session";

export interface SessionClaims {
  sessionId: string;
  userId: number;
}

export async function signSessionToken(
  key: Uint8Array,
  claims: SessionClaims,
  expiresAt: Date,
): Promise<string> {
  return new SignJWT({ uid: claims.userId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setJti(claims.sessionId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key);
}

/** Returns the claims of a valid, unexpired session token, or null for anything else. */
export async function verifySessionToken(
  key: Uint8Array,
  token: string,
  now: Date,
): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["HS256"],
      currentDate: now,
    });
    if (typeof payload.jti !== "string" || typeof payload.uid !== "number") return null;
    return { sessionId: payload.jti, userId: payload.uid };
  } catch {
    return null;
  }
}

/** A session token looks like a JWT (three dot-separated parts); API keys start with `tbk_`. */
export function looksLikeJwt(token: string): boolean {
  return token.split(".").length === 3;
}
