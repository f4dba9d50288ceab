import type { Drive, ReadSummary } from "../drives/drive.ts";
import { DriveError } from "../errors.ts";

/** Reads the tape file at the current position into memory; for small files (labels, TOCs) only. */
export async function readTapeFile(
  drive: Drive,
  maxBytes: number,
): Promise<{ data: Buffer; summary: ReadSummary }> {
  const { stream, done } = await drive.openReadStream();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new DriveError("INVALID_ARGUMENT", `${drive.name}: tape file is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return { data: Buffer.concat(chunks), summary: await done };
}
