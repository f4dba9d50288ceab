/**
 * Buffers a drive may write with O_DIRECT (docs/adr/0027): their memory starts on a page, which a
 * Node Buffer's does not (malloc's header puts it 16 bytes in). A WebAssembly memory is mapped by
 * pages of its own, so a Buffer over one is aligned; each buffer has its own, as the buffer pool
 * keys its leases by ArrayBuffer. Where WebAssembly is unavailable this is an ordinary Buffer.
 */

/** Address, length and file offset of a direct write are multiples of this (4 KiB sectors too). */
export const DIRECT_IO_ALIGNMENT = 4096;

const WASM_PAGE = 64 * 1024;
const aligned = new WeakSet<ArrayBufferLike>();

/**
 * An uninitialised buffer of `bytes`, page-aligned when the runtime allows it; `shared` puts it
 * over a SharedArrayBuffer that worker threads read and write without a copy.
 */
export function allocDirectBuffer(bytes: number, shared = false): Buffer {
  try {
    const pages = Math.ceil(bytes / WASM_PAGE);
    const { buffer } = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
    aligned.add(buffer);
    return Buffer.from(buffer, 0, bytes);
  } catch {
    return shared ? Buffer.from(new SharedArrayBuffer(bytes)) : Buffer.allocUnsafeSlow(bytes);
  }
}

/** The bytes lie in a direct buffer at an aligned offset and fill whole aligned units. */
export function isDirectWritable(data: Uint8Array): boolean {
  return (
    aligned.has(data.buffer) &&
    data.byteOffset % DIRECT_IO_ALIGNMENT === 0 &&
    data.length > 0 &&
    data.length % DIRECT_IO_ALIGNMENT === 0
  );
}
