import { describe, expect, it } from "vitest";
import { escapeHtml, h, raw, renderDocument } from "../../views/html.ts";
import { Layout } from "../../views/layouts/base.tsx";
import { DashboardPage } from "../../views/pages/dashboard.tsx";
import { Alert } from "../../views/partials/alert.tsx";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>&'`;

describe("views escape every dynamic value", () => {
  it("escapeHtml turns markup characters into entities", () => {
    expect(escapeHtml(HOSTILE)).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;",
    );
  });

  it("text children are escaped, attribute values are quoted safely, raw() is the only way in", () => {
    const html = (
      <p title={`" onmouseover="alert(1)`} data-x={HOSTILE}>
        {HOSTILE}
        {raw("<b>trusted</b>")}
      </p>
    ).value;
    // Text: every markup character is an entity.
    expect(html).toContain(`>${escapeHtml(HOSTILE)}<b>`);
    // Attributes: the quote cannot be closed, so the value stays one attribute.
    expect(html).toContain('title="&quot; onmouseover=&quot;alert(1)"');
    expect(html).not.toMatch(/data-x="[^"]*"[^>]*onerror/);
    expect(html).toContain("<b>trusted</b>");
  });

  it("markup in an attribute value is written as entities, once, and a body's own text is left alone", () => {
    const html = (
      <label>
        <input name="paths" value={'/srv/<img src=x onerror=alert(1)>&co "q"'} />
        {"a \uE000 b"}
      </label>
    ).value;
    expect(html).toContain('value="/srv/&lt;img src=x onerror=alert(1)&gt;&amp;co &quot;q&quot;"');
    expect(html).not.toContain("<img");
    expect(html).not.toContain("&amp;lt;");
    // The private-use characters that carry < and > through typed-html stay text in a body.
    expect(html).toContain("a \uE000 b");
  });

  it("nested components keep their markup and escape their text once", () => {
    const html = Alert({ kind: "error", message: HOSTILE, requestId: "<id>" }).value;
    expect(html).toContain('role="alert"');
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("&lt;id&gt;");
    expect(html).not.toContain("&amp;lt;");
  });

  it("a user name with markup shows as text in the layout, and void elements stay void", () => {
    const page = renderDocument(
      Layout({ title: HOSTILE, user: { username: HOSTILE, role: "admin" }, csrfToken: "abc", children: [] }),
    );
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).not.toMatch(/<script>alert/);
    expect(page).not.toContain("</meta>");
    expect(page).toContain("hx-headers:inherited=");
  });

  it("the dashboard shows a running job's progress, escapes its path, and marks the current page", () => {
    const now = new Date("2026-11-26T12:00:00Z");
    const run = {
      id: 7,
      jobName: "Nightly <b>",
      state: "running",
      bytesDone: 500,
      bytesTotal: 1000,
      filesDone: 3,
      filesTotal: 9,
      currentPath: HOSTILE,
      rateBytesPerSec: 2_000_000,
      etaSeconds: 90,
      tapeBarcode: "L00001L9",
      operatorMessage: null,
    };
    const page = DashboardPage({
      layout: { user: { username: "ops", role: "operator" }, csrfToken: "t" },
      data: {
        now,
        site: null,
        sites: [],
        agents: [],
        drives: [],
        active: [run as never],
        recent: [],
        tapeStates: { active: 7 },
        pools: [],
        tapes: [],
        counts: { jobs: 1, tapes: 7, labelled: 7, sources: 1, completedRuns: 1 },
        setup: [],
      },
    }).value;
    expect(page).toContain('<a href="/" aria-current="page">Dashboard</a>');
    expect(page).toContain('<progress max="100" value="50"');
    expect(page).toContain("Nightly &lt;b&gt;");
    expect(page).not.toContain(HOSTILE);
    expect(page).toContain('hx-trigger="every 2s"');
  });
});
