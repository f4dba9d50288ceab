/**
 * The passphrase-wrapped data key: what an operator exports, prints on the key sheet, keeps in
 * the fire safe and hands to `drive-agent restore --key-file`. One line of text, versioned:
 *
 *   tbkey1.<fingerprint>.scrypt-<log2 N>-<r>-<p>.<salt>.<nonce>.<sealed>
 *
 * salt (16 bytes), nonce (12 bytes) and sealed (AES-256-GCM ciphertext of the 32-byte key and
 * its 16-byte tag) are base64url. The key-encryption key is scrypt(passphrase NFC, salt, N, r, p,
 * 32 bytes); the GCM additional data is the text before the nonce, so the fingerprint and the
 * parameters cannot be changed without the tag failing. docs/tape-format.md, "Keys".
 */

export const KEY_EXPORT_PREFIX = "tbkey1";
/** scrypt cost for new exports: N = 2^17, r = 8, p = 1 (128 MiB, OWASP's recommendation). */
export const KEY_EXPORT_COST = { logN: 17, r: 8, p: 1 } as const;
/** A text asking for more than this is refused before any work (2^20 × r 8 = 1 GiB). */
const MAX_LOG_N = 20;
export const MIN_PASSPHRASE_LENGTH = 12;

/** scrypt as node:crypto or @noble/hashes computes it; the caller picks the implementation. */
export type Scrypt = (
  passphrase: Uint8Array,
  salt: Uint8Array,
  cost: { N: number; r: number; p: number },
) => Promise<Uint8Array>;

export class KeyExportError extends Error {
  constructor(
    readonly code: "malformed" | "wrong_passphrase" | "fingerprint_mismatch",
    message: string,
  ) {
    super(message);
  }
}

const enc = new TextEncoder();
const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const fromB64url = (text: string) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

/** SHA-256 of the raw key, hex, first 32 characters: the fingerprint on labels, TOCs and sheets. */
export async function dataKeyFingerprint(key: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", key as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 32);
}

async function kek(scrypt: Scrypt, passphrase: string, salt: Uint8Array, logN: number, r: number, p: number) {
  const derived = await scrypt(enc.encode(passphrase.normalize("NFC")), salt, { N: 2 ** logN, r, p });
  return crypto.subtle.importKey("raw", derived as BufferSource, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function wrapWithPassphrase(opts: {
  key: Uint8Array;
  passphrase: string;
  scrypt: Scrypt;
  cost?: { logN: number; r: number; p: number };
}): Promise<string> {
  if (opts.key.length !== 32) throw new KeyExportError("malformed", "a data key is 32 bytes");
  const { logN, r, p } = opts.cost ?? KEY_EXPORT_COST;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const head = `${KEY_EXPORT_PREFIX}.${await dataKeyFingerprint(opts.key)}.scrypt-${logN}-${r}-${p}.${b64url(salt)}`;
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce as BufferSource, additionalData: enc.encode(head) },
    await kek(opts.scrypt, opts.passphrase, salt, logN, r, p),
    opts.key as BufferSource,
  );
  return `${head}.${b64url(nonce)}.${b64url(new Uint8Array(sealed))}`;
}

const SHAPE =
  /^tbkey1\.([0-9a-f]{32})\.scrypt-(\d{1,2})-(\d{1,2})-(\d{1,2})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{64})$/;

/** The fingerprint a wrapped key text names, without the passphrase (to match sheet and tape). */
export function parseWrappedKey(text: string) {
  const match = SHAPE.exec(text.replace(/\s+/g, ""));
  if (!match)
    throw new KeyExportError(
      "malformed",
      `not a TapeBackarr wrapped key: expected one line starting ${KEY_EXPORT_PREFIX}. (as on the key sheet)`,
    );
  const [, fingerprint, logN, r, p, salt, nonce, sealed] = match as unknown as string[];
  const cost = { logN: Number(logN), r: Number(r), p: Number(p) };
  if (cost.logN < 10 || cost.logN > MAX_LOG_N || cost.r < 1 || cost.r > 16 || cost.p < 1 || cost.p > 4)
    throw new KeyExportError("malformed", "the wrapped key asks for scrypt parameters out of range");
  return {
    fingerprint: fingerprint as string,
    cost,
    head: `${KEY_EXPORT_PREFIX}.${fingerprint}.scrypt-${logN}-${r}-${p}.${salt}`,
    salt: fromB64url(salt as string),
    nonce: fromB64url(nonce as string),
    sealed: fromB64url(sealed as string),
  };
}

/** The raw key back, or a KeyExportError saying the passphrase is wrong. */
export async function unwrapWithPassphrase(opts: {
  text: string;
  passphrase: string;
  scrypt: Scrypt;
}): Promise<{ key: Uint8Array; fingerprint: string }> {
  const parsed = parseWrappedKey(opts.text);
  const { logN, r, p } = parsed.cost;
  let key: Uint8Array;
  try {
    key = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: parsed.nonce as BufferSource, additionalData: enc.encode(parsed.head) },
        await kek(opts.scrypt, opts.passphrase, parsed.salt, logN, r, p),
        parsed.sealed as BufferSource,
      ),
    );
  } catch {
    throw new KeyExportError(
      "wrong_passphrase",
      `wrong passphrase for key ${parsed.fingerprint} (or the wrapped key text was altered): give the passphrase this key's sheet was made with (the hint on the sheet recalls it) and compare the ${KEY_EXPORT_PREFIX}. line with the sheet's QR code`,
    );
  }
  if ((await dataKeyFingerprint(key)) !== parsed.fingerprint)
    throw new KeyExportError("fingerprint_mismatch", "the unwrapped key does not match its fingerprint");
  return { key, fingerprint: parsed.fingerprint };
}
