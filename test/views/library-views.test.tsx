import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../views/html.ts";
import { DrivePage } from "../../views/pages/drive.tsx";
import { LibraryPage } from "../../views/pages/library.tsx";

const HOSTILE = `<script>alert("x")</script>`;
const layout = { user: { username: "op", role: "operator" }, csrfToken: "t" };

describe("library and drive pages", () => {
  it("escape an agent, changer, label and error an attacker could name", () => {
    const html = LibraryPage({
      layout,
      canOperate: true,
      pools: [{ id: 1, name: HOSTILE }],
      library: {
        changers: [
          {
            id: 1,
            name: HOSTILE,
            agent: HOSTILE,
            lastSeenAt: null,
            slots: [
              {
                slot: 1,
                importExport: false,
                barcode: "TB0001L9",
                tape: { id: 1, state: "active", label: HOSTILE, pool: 1, cleaning: null },
              },
            ],
            drives: [{ id: 1, name: HOSTILE, state: "idle", loaded: null, alerts: [] }],
            mediaSets: [{ id: 7, poolId: 1, tapes: ["TB0001L9"] }],
            rebuild: { scanned: 2, scanning: 1, toScan: 3, incompleteSets: 1 },
          },
        ],
        orders: [
          { id: "o", op: "import", drive: HOSTILE, state: "failed", error: HOSTILE, createdAt: new Date(0) },
        ],
      },
    }).value;
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain('hx-post="/library/1/label-blank"');
    expect(html).toContain("Cleaning cartridges and cartridges holding data are left out.");
    expect(html).toContain('<select name="mediaSetId"><option value="7">#7 (');
    expect(html).toContain(`${escapeHtml(HOSTILE)}: TB0001L9)`);
    expect(html).toContain("2 cartridge(s) scanned, 1 scanning, 3 to scan; 1 set(s) still miss a tape");
  });

  it("offer no changer actions to a read-only user, and say when no changer is known", () => {
    const changer = {
      id: 1,
      name: "Virtual library",
      agent: "host",
      lastSeenAt: null,
      slots: [],
      drives: [],
      mediaSets: [],
      rebuild: { scanned: 0, scanning: 0, toScan: 0, incompleteSets: 0 },
    };
    const readOnly = LibraryPage({
      layout,
      canOperate: false,
      pools: [],
      library: { changers: [changer], orders: [] },
    });
    expect(readOnly.value).not.toContain('hx-post="/library/');
    const empty = LibraryPage({ layout, canOperate: true, pools: [], library: { changers: [], orders: [] } });
    expect(empty.value).toContain("No changer reported yet");
  });

  it("show a drive's flags with their severity and its counters, and a clean button in a changer", () => {
    const html = DrivePage({
      layout,
      canOperate: true,
      drive: { id: 3, name: "Drive 0", state: "idle", inChanger: true },
      health: {
        alerts: [{ code: 20, name: "Cleaning required", severity: "critical" }],
        counters: {
          writeCorrected: 12,
          writeUncorrected: 1,
          readCorrected: 0,
          readUncorrected: 0,
          bytesWritten: 1 << 30,
          bytesRead: 0,
        },
      },
      healthAt: new Date(0),
      readings: [],
    }).value;
    expect(html).toContain("20 Cleaning required (critical)");
    expect(html).toMatch(/Write errors corrected<\/th>\s*<td>12<\/td>/);
    expect(html).toContain('hx-post="/drives/3/clean"');
  });

  it("show a drive's cleaning schedule with its progress, and the form to change it, escaped", () => {
    const html = DrivePage({
      layout,
      canOperate: true,
      drive: { id: 3, name: "Drive 0", state: "idle", inChanger: true },
      cleaning: {
        schedule: { cron: HOSTILE, everyHours: 100, everyTerabytes: null },
        words: [`on the schedule ${HOSTILE} (next never)`, "every 100 h of use (12.5 h so far)"],
        lastCleanedAt: null,
      },
      health: null,
      healthAt: null,
      readings: [],
    }).value;
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(
      `Cleaned on the schedule ${escapeHtml(HOSTILE)} (next never), or every 100 h of use (12.5 h so far), whichever comes first, when idle.`,
    );
    expect(html).toContain('hx-post="/drives/3/cleaning-schedule"');
    expect(html).toContain('name="everyHours" inputmode="decimal" value="100"');
  });
});
