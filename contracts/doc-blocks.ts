/**
 * The shell blocks of docs/tape-format.md marked ```sh test:<name>```: the commands its test
 * runs on tapes the drive-agent wrote, and the commands a tape passport prints. One parser for
 * both, so the paper cannot say what the test did not run.
 */
export function documentedBlocks(
  markdown: string,
  tag: "test" | "test-stream" | "copy" = "test",
): Map<string, string> {
  const blocks = new Map<string, string>();
  const pattern = new RegExp(`^\`\`\`sh ${tag}:([\\w-]+)\\n([\\s\\S]*?)^\`\`\`$`, "gm");
  for (const match of markdown.matchAll(pattern)) if (match[1] && match[2]) blocks.set(match[1], match[2]);
  return blocks;
}

/** The docs the hub serves at /docs, by the name in their URL. */
export const HUB_DOCS = {
  "operator-guide": { file: "docs/operator-guide.md", title: "Operator guide" },
  "tape-format": { file: "docs/tape-format.md", title: "Tape format and recovery without TapeBackarr" },
} as const;
export type HubDocName = keyof typeof HUB_DOCS;
