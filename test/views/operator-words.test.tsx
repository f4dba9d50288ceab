import { describe, expect, it } from "vitest";
import { driveActivity } from "../../functions/services/dashboard/drive-activity.ts";
import { describeSchedule } from "../../functions/services/schedules/describe-schedule.ts";
import { timeZoneInput } from "../../functions/services/settings/time-zone.ts";
import { shownCapacity } from "../../functions/services/tapes/native-capacity.ts";
import { stateChoices } from "../../functions/services/tapes/tape-transition.ts";
import { formatTime, formatWhen, retentionInWords } from "../../views/format.ts";
import { ApiKeysPage } from "../../views/pages/admin.tsx";
import { PoolsPage } from "../../views/pages/pools.tsx";
import { SitesPage } from "../../views/pages/sites.tsx";
import { CapacityBar } from "../../views/partials/capacity-bar.tsx";
import { SchedulePreview } from "../../views/partials/schedule-preview.tsx";
import { SiteFilter } from "../../views/partials/site-filter.tsx";
import { SiteSelect } from "../../views/partials/site-select.tsx";
import { ThroughputChart } from "../../views/partials/throughput-chart.tsx";
import { Time } from "../../views/partials/time.tsx";

const HOSTILE = "<script>alert(1)</script>";
const now = new Date("2026-12-01T08:00:00Z");

describe("a schedule in the operator's words", () => {
  it("every day at 22:00 with its next three runs, in UTC", () => {
    const p = describeSchedule("0 22 * * *", now, "UTC");
    expect(p.ok && p.words).toBe("every day at 22:00");
    expect(p.ok && p.next.map((d) => formatWhen(d, p.zone))).toEqual([
      "Tue 1 Dec 22:00 UTC",
      "Wed 2 Dec 22:00 UTC",
      "Thu 3 Dec 22:00 UTC",
    ]);
  });

  it("a schedule runs at 22:00 in the hub's zone, and its preview says that zone", () => {
    const p = describeSchedule("0 22 * * *", now, "Europe/Berlin");
    expect(p.ok && p.next[0]?.toISOString()).toBe("2026-12-01T21:00:00.000Z");
    expect(p.ok && p.next.map((d) => formatWhen(d, p.zone))[0]).toBe("Tue 1 Dec 22:00 Europe/Berlin");
    const html = SchedulePreview({ preview: p }).value;
    expect(html).toContain("every day at 22:00, next: Tue 1 Dec 22:00 Europe/Berlin");
  });

  it("weekdays, one weekday, a day of the month, hourly", () => {
    const words = (e: string) => {
      const p = describeSchedule(e, now, "UTC");
      return p.ok ? p.words : p.message;
    };
    expect(words("30 2 * * 1-5")).toBe("every weekday (Monday to Friday) at 02:30");
    expect(words("0 3 * * 0")).toBe("every Sunday at 03:00");
    expect(words("0 1 15 * *")).toBe("on day 15 of every month at 01:00");
    expect(words("5 * * * *")).toBe("every hour at minute 5");
  });

  it("empty is manual; nonsense says how to write one, not a parser's path", () => {
    expect(describeSchedule("", now, "UTC")).toEqual({ ok: true, words: "manual", next: [], zone: "UTC" });
    const bad = describeSchedule("every night", now, "UTC");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^"every night" is not a schedule\. Write five fields/);
  });
});

describe("words and times on the pages", () => {
  it("retention: keep forever, or reusable N days after the last write", () => {
    expect(retentionInWords({ allowReuse: false, retentionDays: 30 })).toBe("keep forever");
    expect(retentionInWords({ allowReuse: true, retentionDays: 30 })).toBe(
      "reusable 30 days after its last write",
    );
    expect(retentionInWords({ allowReuse: true, retentionDays: 1 })).toBe(
      "reusable 1 day after its last write",
    );
  });

  it("every time says its zone", () => {
    expect(formatTime(now)).toBe("2026-12-01 08:00 UTC");
  });

  it("a time in another zone is that zone's wall clock, named, across a date line and DST", () => {
    expect(formatTime(now, "Europe/Berlin")).toBe("2026-12-01 09:00 Europe/Berlin");
    expect(formatTime(now, "America/New_York")).toBe("2026-12-01 03:00 America/New_York");
    expect(formatTime("2026-07-01T08:00:00Z", "America/New_York")).toBe("2026-07-01 04:00 America/New_York");
    expect(formatTime("2026-12-01T20:30:00Z", "Asia/Tokyo")).toBe("2026-12-02 05:30 Asia/Tokyo");
    expect(formatWhen(new Date("2026-12-01T23:00:00Z"), "Asia/Tokyo")).toBe("Wed 2 Dec 08:00 Asia/Tokyo");
    expect(formatTime(null, "Asia/Tokyo")).toBe("–");
  });

  it("a <time> carries the moment for the browser and the UTC text for a page without script", () => {
    expect(Time({ at: now }).value).toBe(
      '<time datetime="2026-12-01T08:00:00.000Z">2026-12-01 08:00 UTC</time>',
    );
    expect(Time({ at: null }).value).toBe("–");
  });

  it("a hub time zone is an IANA name Intl knows; anything else is refused in words", () => {
    expect(timeZoneInput.parse({ timeZone: " Europe/Berlin " })).toEqual({ timeZone: "Europe/Berlin" });
    expect(timeZoneInput.parse({ timeZone: "" })).toEqual({ timeZone: null });
    expect(timeZoneInput.parse({ timeZone: null })).toEqual({ timeZone: null });
    const bad = timeZoneInput.safeParse({ timeZone: "Mars/Olympus_Mons" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe(
      'is not a time zone this hub knows ("Mars/Olympus_Mons"): give an IANA name such as Europe/Berlin, America/New_York or UTC',
    );
    expect(timeZoneInput.safeParse({ timeZone: `${HOSTILE}` }).success).toBe(false);
  });

  it("the tape page offers only the moves by hand the service allows: none away while in a drive", () => {
    const tape = { barcode: "TB0001L9", state: "active", uuid: "u", driveId: null, poolId: 1 } as const;
    const offered = (t: Parameters<typeof stateChoices>[0]) => stateChoices(t).map((c) => c.state);
    expect(offered(tape)).toEqual(["active", "offsite", "exported", "retired"]);
    expect(offered({ ...tape, driveId: 3 })).toEqual(["active", "retired"]);
    expect(offered({ ...tape, state: "offsite" })).toEqual(["offsite", "exported", "retired", "full"]);
    expect(stateChoices({ ...tape, state: "retired" }).at(-1)?.words).toBe("returned (back in the library)");
  });

  it("a tape's capacity is the cartridge's own when reported, else its LTO generation's, said nominal", () => {
    const vtl = { capacityBytes: 256 << 20, generation: "LTO-9", barcode: "TB0001L9" };
    expect(shownCapacity(vtl)).toEqual({ capacityBytes: 256 << 20, capacityNominal: false });
    // What a real drive's agent reports from the barcode when the cartridge memory is unread.
    expect(shownCapacity({ ...vtl, capacityBytes: 18e12 })).toEqual({
      capacityBytes: 18e12,
      capacityNominal: true,
    });
    expect(shownCapacity({ capacityBytes: null, generation: null, barcode: "E01001L8" })).toEqual({
      capacityBytes: 12e12,
      capacityNominal: true,
    });
    expect(
      shownCapacity({ capacityBytes: null, generation: "LTO-9 WORM", barcode: "X1" }).capacityBytes,
    ).toBe(18e12);
    expect(shownCapacity({ capacityBytes: null, generation: null, barcode: "CLNA0001" })).toEqual({
      capacityBytes: null,
      capacityNominal: false,
    });
    const bar = CapacityBar({ label: "Tape E01001L8", used: 3e12, capacity: 12e12, nominal: true }).value;
    expect(bar).toContain("3.0 TB of 12.0 TB nominal (25%)");
    expect(CapacityBar({ label: "Tape T", used: 0, capacity: 256 << 20 }).value).toContain(
      "0 B of 268 MB (0%)",
    );
  });

  it("a drive says what the run on it does, not the agent's idle", () => {
    const idle = { state: "idle", alerts: [] };
    expect(driveActivity(idle, { kind: "backup", state: "running" })).toBe("writing");
    expect(driveActivity(idle, { kind: "restore", state: "running" })).toBe("reading");
    expect(driveActivity(idle, { kind: "verify", state: "paused" })).toBe("paused");
    expect(driveActivity(idle, { kind: "backup", state: "queued" })).toBe("idle");
    expect(driveActivity({ state: "idle", alerts: ["CLEAN NOW"] }, undefined)).toBe("error");
    expect(driveActivity(idle, undefined, true)).toBe("cleaning");
  });
});

describe("new views escape what they show", () => {
  it("the pools page shows a markup pool name and tape as text", () => {
    const html = PoolsPage({
      layout: { user: { username: "ops", role: "operator" }, csrfToken: "t" },
      canOperate: true,
      pools: [
        {
          id: 1,
          name: HOSTILE,
          description: HOSTILE,
          retentionDays: 30,
          allowReuse: false,
          encryptionKeyId: null,
          allocation: "calendar",
          allocationCalendar: HOSTILE,
          retention: "timespan",
          generation: null,
          barcodePrefix: HOSTILE,
          compression: null,
          preflightLeadMinutes: 360,
          offsiteRotation: "closed",
          offsiteReturnDays: null,
          siteId: 7,
          site: { id: 7, name: HOSTILE },
          policyWords: {
            allocation: `calendar ${HOSTILE}`,
            retention: HOSTILE,
            accepts: HOSTILE,
            offsite: HOSTILE,
          },
          createdAt: now,
          updatedAt: now,
          usedBytes: 1 << 30,
          tapesOfUnknownCapacity: 0,
          capacityBytes: 4 * 2 ** 30,
          capacityNominal: false,
          tapes: [
            {
              id: 2,
              poolId: 1,
              barcode: "TB0001L9",
              state: "offsite",
              usedBytes: 1 << 30,
              capacityBytes: 4 * 2 ** 30,
              capacityNominal: false,
              lastWrittenAt: now,
              mediaSetId: 3,
              location: HOSTILE,
            },
          ],
          rotation: [
            {
              direction: "back",
              mediaSetId: 3,
              poolId: 1,
              pool: HOSTILE,
              barcodes: ["TB0001L9"],
              why: HOSTILE,
              text: HOSTILE,
            },
          ],
        },
      ],
      sites: [{ id: 7, name: HOSTILE }],
      site: 7,
      siteChoice: { sites: [{ id: 7, name: HOSTILE }], required: true },
    }).value;
    expect(html).toContain('hx-post="/media-sets/3/location"');
    // The pool's site is shown, preselected in its edit form, and no "no site" is offered to a scoped user.
    expect(html).toContain('<strong class="pool-site">&lt;script&gt;');
    expect(html).toMatch(/<option value="7" selected>&lt;script&gt;/);
    expect(html).not.toContain('<option value="none"');
    expect(html).toContain("Mark returned");
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("keep forever");
    expect(html).toContain('value="25"');
  });

  it("the throughput chart has axes with units and a title per run, its job name escaped", () => {
    const svg = ThroughputChart({
      now,
      runs: [
        {
          id: 3,
          jobName: HOSTILE,
          kind: "backup",
          startedAt: new Date(now.getTime() - 3_600_000),
          finishedAt: new Date(now.getTime() - 3_000_000),
          bytesDone: 600 << 20,
          rateBytesPerSec: null,
        },
      ],
    }).value;
    expect(svg).not.toContain(HOSTILE);
    expect(svg).toContain("UTC</text>");
    expect(svg).toMatch(/MB\/s<\/text>/);
    expect(svg).toMatch(
      /<title>&lt;script&gt;.*\(backup, run 3\): 1\.\d+ MB\/s, finished 2026-12-01 07:10 UTC<\/title>/,
    );
  });
});

describe("svg markup", () => {
  it("keeps viewBox as SVG spells it (typed-html would write view-box, and the chart would not scale)", () => {
    const svg = ThroughputChart({
      now,
      runs: [
        {
          id: 1,
          jobName: "j",
          startedAt: new Date(now.getTime() - 60_000),
          finishedAt: now,
          bytesDone: 1e8,
          rateBytesPerSec: null,
        },
      ],
    }).value;
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 640 150"/);
    expect(svg).not.toContain("view-box");
  });
});

describe("the site filter and the site select", () => {
  it("the filter swaps the page's content on change, pushes the URL, keeps the other filters and works without script", () => {
    const html = SiteFilter({
      action: "/tapes",
      sites: [
        { id: 1, name: HOSTILE },
        { id: 2, name: "South" },
      ],
      current: 2,
      keep: { poolId: 3, state: undefined, barcode: `"${HOSTILE}` },
    })?.value;
    expect(html).toMatch(
      /<form class="site-filter" method="get" action="\/tapes" hx-get="\/tapes" hx-trigger="change"/,
    );
    expect(html).toContain('hx-target="main" hx-select="main" hx-swap="outerHTML" hx-push-url="true"');
    expect(html).toContain('<input type="hidden" name="poolId" value="3">');
    expect(html).not.toContain('name="state"');
    expect(html).toContain('<option value="2" selected>South</option>');
    expect(html).toContain('<noscript><button type="submit">Show</button></noscript>');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain("&lt;script&gt;");
    expect(SiteFilter({ action: "/tapes", sites: [], current: null })).toBeNull();
  });

  it("the select offers no site to an unscoped user, and says so when a scoped one may act nowhere", () => {
    const sites = [{ id: 4, name: HOSTILE }];
    const free = SiteSelect({ choice: { sites, required: false } }).value;
    expect(free).toContain('<select name="siteId"><option value="none" selected>No site</option>');
    expect(free).not.toContain(HOSTILE);
    const scoped = SiteSelect({ choice: { sites, required: true } }).value;
    expect(scoped).toContain('<select name="siteId" required><option value="4" selected>&lt;script&gt;');
    expect(SiteSelect({ choice: { sites: [], required: true } }).value).toContain("operator role at no site");
  });
});

describe("an action that cannot be taken back asks first, naming what goes", () => {
  const layout = { user: { username: "root", role: "admin" }, csrfToken: "t" };

  it("retiring a site says what it will no longer take and that it cannot be brought back", () => {
    const site = { id: 7, name: HOSTILE, timeZone: null, contact: null, notes: null, retiredAt: null };
    const html = SitesPage({ layout, isAdmin: true, sites: [site] }).value;
    const form = html.slice(html.indexOf('hx-post="/sites/7/retire"'));
    expect(form).toMatch(
      /^hx-post="\/sites\/7\/retire"[^>]* hx-confirm="Retire site &lt;script&gt;alert\(1\)&lt;\/script&gt;\? It takes no new agent, tape, pool or job from then on, and a retired site cannot be brought back;/,
    );
    expect(html).not.toContain(HOSTILE);
  });

  it("revoking an API key says every client using it is refused from then on", () => {
    const key = { id: 3, name: HOSTILE, prefix: "ab12", role: "operator", expiresAt: null, lastUsedAt: null };
    const html = ApiKeysPage({ layout, keys: [key] }).value;
    expect(html).toContain(
      'hx-confirm="Revoke API key &lt;script&gt;alert(1)&lt;/script&gt;? Every script or client that signs in with it is refused from now on. This cannot be undone."',
    );
    expect(html).not.toContain(HOSTILE);
  });
});
