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

/**
 * A heading's anchor, as GitHub and the hub's /docs make it: lower case, punctuation dropped,
 * spaces to hyphens ("Keys, key sheets and passports" → "keys-key-sheets-and-passports").
 */
export function docAnchor(heading: string): string {
  return heading
    .replace(/<[^>]*>/g, "")
    .replace(/&[#\w]+;/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/\s/g, "-");
}

/** The doc sections the pages link to for help; a test checks each heading is in its doc. */
export const HELP_TOPICS = {
  keys: { doc: "operator-guide", heading: "Keys, key sheets and passports" },
  catalogBackup: { doc: "operator-guide", heading: "Catalog backup and restore on a new machine" },
  disasterRecovery: { doc: "operator-guide", heading: "Disaster recovery: rebuild the catalog from tapes" },
  mediaSets: { doc: "operator-guide", heading: "Pools, media sets and retention" },
  withoutHub: { doc: "tape-format", heading: "Restoring with the drive-agent, without the hub" },
  tapeFormat: { doc: "tape-format", heading: "On a real drive" },
} as const satisfies Record<string, { doc: HubDocName; heading: string }>;
export type HelpTopic = keyof typeof HELP_TOPICS;

export const helpHref = (topic: HelpTopic) =>
  `/docs/${HELP_TOPICS[topic].doc}#${docAnchor(HELP_TOPICS[topic].heading)}`;
