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
    const view = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
    for (let i = 0; i < 8; i++) this.lanes[i] = ((this.lanes[i] as number) + view.getUint32(i * 4)) >>> 0;
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

/** sha256 of a string's UTF-8 bytes. */
export type LineHash = (line: string) => Uint8Array;

const encoder = new TextEncoder();
const nobleLineHash: LineHash = (line) => sha256(encoder.encode(line));

/** One CatalogDigest per tape segment, by the segment holding each entry's header (entry[10]). */
export class SegmentDigests {
  readonly bySegment = new Map<number, CatalogDigest>();

  constructor(private readonly hashLine?: LineHash) {}

  add(entry: CatalogEntry, wireLine?: string): void {
    let digest = this.bySegment.get(entry[10]);
    if (!digest) {
      digest = new CatalogDigest(this.hashLine);
      this.bySegment.set(entry[10], digest);
    }
    digest.add(entry, wireLine);
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
