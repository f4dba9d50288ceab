import { describe, expect, it } from "vitest";
import { RestoreBrowse, RestorePlan } from "../../views/pages/restore.tsx";
import { backupTypeWords } from "../../views/partials/job-settings.tsx";

const HOSTILE = `<script>alert("x")</script>`;
const layout = { user: { username: "ops", role: "operator" as const }, csrfToken: "t" };

describe("the restore and job pages say what a point-in-time restore and each backup type do", () => {
  it("the browse page names the sets it merges and the set of each entry, with names escaped", () => {
    const page = RestoreBrowse({
      layout,
      setId: 7,
      dir: "srv",
      chain: [
        { id: 3, backupType: "full", startedAt: new Date("2026-11-02T02:00:00Z"), keyFingerprint: "aa11" },
        {
          id: 7,
          backupType: "incremental",
          startedAt: new Date("2026-11-03T02:00:00Z"),
          keyFingerprint: null,
        },
      ],
      warnings: [],
      entries: [{ name: HOSTILE, type: "file", size: 5, mtime: 1, setId: 3 }],
      nextAfter: null,
      canOperate: true,
    }).value;
    expect(page).toContain("merged from full #3");
    expect(page).toContain("+ incremental #7");
    expect(page).toContain("<td>#3</td>");
    expect(page).toContain('Set 3 (full): encrypted with key <code class="wrap set-key">aa11</code>');
    expect(page).toContain('Set 7 (incremental): <span class="muted">not encrypted</span>');
    expect(page).not.toContain(HOSTILE);
  });

  it("the plan lists the sets read in turn and each tape with its set", () => {
    const html = RestorePlan({
      setId: 7,
      paths: [],
      files: 4,
      bytes: 26,
      sets: [
        {
          id: 3,
          backupType: "full",
          startedAt: new Date("2026-11-02T02:00:00Z"),
          keyFingerprint: "aa11",
          files: 2,
          bytes: 12,
        },
        {
          id: 7,
          backupType: "incremental",
          startedAt: new Date("2026-11-03T02:00:00Z"),
          keyFingerprint: "bb22",
          files: 2,
          bytes: 14,
        },
      ],
      tapes: [
        { setId: 3, barcode: "MON001L9", location: "shelf", instruction: "Insert MON001L9" },
        { setId: 7, barcode: "TUE001L9", location: "shelf", instruction: "Insert TUE001L9" },
      ],
      warnings: [],
      encrypted: true,
      canOperate: false,
    }).value;
    expect(html).toContain("4 files");
    // A chain across a key rotation reads with two keys: each set names its own.
    expect(html).toMatch(/full #3 .*encrypted with key <code class="wrap set-key">aa11<\/code>/s);
    expect(html).toMatch(/incremental #7 .*encrypted with key <code class="wrap set-key">bb22<\/code>/s);
    expect(html).toContain("read from 2 sets in turn");
    expect(html.indexOf("MON001L9")).toBeLessThan(html.indexOf("TUE001L9"));
    expect(html).toContain("(set #7)");
  });

  it("each backup type says in words what a run of it will do", () => {
    expect(backupTypeWords("full")).toBe("Every run backs up the whole source.");
    expect(backupTypeWords("incremental")).toContain("renamed or moved in since the job's last complete set");
    expect(backupTypeWords("differential")).toContain("since the job's last complete full");
  });
});
