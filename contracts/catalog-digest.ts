import { sha256 } from "@noble/hashes/sha2.js";
import type { CatalogEntry } from "./agent-protocol.ts";

/**
 * What the agent wrote and what the hub holds are reconciled per tape segment by a count and a
 * digest over the segment's catalog entries. The digest is order-independent (the hub reads its
 * rows in any order, the agent sends deletion markers after the files): each entry's canonical
 * line is hashed with sha256, and the hashes are added lane by lane (8 × 32-bit, mod 2^32).
 * A lost, duplicated or altered entry changes it. The canonical line is the entry's wire tuple as
 * JSON, with the path in the catalog's stored form (no trailing slash), so both sides can build it
 * from what they hold. @noble/hashes: a synchronous sha256 that runs the same on Node and workerd.
 */
export class CatalogDigest {
  private readonly lanes = new Uint32Array(8);
  entries = 0;

  /** `hashLine`: sha256 of a line's UTF-8 bytes; the agent passes node:crypto's (the same digest). */
  constructor(private readonly hashLine: LineHash = nobleLineHash) {}

  /** Adds one entry given as its canonical line (see canonicalEntryLine). */
  addLine(line: string): void {
    const hash = this.hashLine(line);
    const lanes = this.lanes;
    if (typeof hash === "string") {
      // The 32 bytes as a latin1 string: one char code per byte, big-endian per lane.
      for (let i = 0, j = 0; i < 8; i++, j += 4)
        lanes[i] =
          ((lanes[i] as number) +
            ((hash.charCodeAt(j) << 24) |
              (hash.charCodeAt(j + 1) << 16) |
              (hash.charCodeAt(j + 2) << 8) |
              hash.charCodeAt(j + 3))) >>>
          0;
    } else {
      const view = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
      for (let i = 0; i < 8; i++) lanes[i] = ((lanes[i] as number) + view.getUint32(i * 4)) >>> 0;
    }
    this.entries++;
  }

  add(entry: CatalogEntry, wireLine?: string): void {
    this.addLine(canonicalEntryLine(entry, wireLine));
  }

  hex(): string {
    let out = "";
    for (const lane of this.lanes) out += lane.toString(16).padStart(8, "0");
    return out;
  }
}

/**
 * sha256 of a string's UTF-8 bytes: the 32 bytes, or the same bytes as a latin1 string (one char
 * per byte; node:crypto returns that without allocating a Buffer per line).
 */
export type LineHash = (line: string) => Uint8Array | string;

const encoder = new TextEncoder();
const nobleLineHash: LineHash = (line) => sha256(encoder.encode(line));

/** One CatalogDigest per tape segment, by the segment holding each entry's header (entry[10]). */
export class SegmentDigests {
  readonly bySegment = new Map<number, CatalogDigest>();

  constructor(private readonly hashLine?: LineHash) {}

  add(entry: CatalogEntry, wireLine?: string): void {
    this.addLine(entry[10], canonicalEntryLine(entry, wireLine));
  }

  /** Adds one entry given as its canonical line, to the digest of the segment holding its header. */
  addLine(segment: number, line: string): void {
    let digest = this.bySegment.get(segment);
    if (!digest) {
      digest = new CatalogDigest(this.hashLine);
      this.bySegment.set(segment, digest);
    }
    digest.addLine(line);
  }
}

/** A catalog path as stored: relative, '/'-separated, split into its directory and last component. */
export function splitCatalogPath(path: string): { dir: string; name: string } {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const cut = trimmed.lastIndexOf("/");
  return cut === -1
    ? { dir: "", name: trimmed }
    : { dir: trimmed.slice(0, cut), name: trimmed.slice(cut + 1) };
}

/** The path a stored (dir, name) pair stands for. */
export function joinCatalogPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** The entry's line for the digest: its wire JSON, unless the catalog stores its path otherwise. */
export function canonicalEntryLine(entry: CatalogEntry, wireLine?: string): string {
  const { dir, name } = splitCatalogPath(entry[0]);
  const path = joinCatalogPath(dir, name);
  if (path === entry[0]) return wireLine ?? JSON.stringify(entry);
  return JSON.stringify([path, ...entry.slice(1)]);
}

/**
 * canonicalEntryLine for an entry given as its wire JSON (`wireLine`) and its path's JSON
 * (`pathJson`, JSON.stringify of the path), without decoding either: a path that neither starts
 * with '/' nor ends with '/' past its first character is stored as given ('/' is never escaped).
 */
export function canonicalWireLine(wireLine: string, pathJson: string): string {
  if (
    pathJson.charCodeAt(1) !== 47 &&
    !(pathJson.length > 3 && pathJson.charCodeAt(pathJson.length - 2) === 47)
  )
    return wireLine;
  return canonicalEntryLine(JSON.parse(wireLine) as CatalogEntry);
}
