/**
 * /assets/local-time.js: shows every `<time datetime>` in the hub's zone (`data-time-zone` on
 * <html>, set by an admin) or else the browser's own, as "2026-12-01 23:00 Europe/Berlin", the
 * same shape as the server's UTC text (views/format.ts), and a chart's time ticks (`data-at`) and
 * the zone in its label likewise. Parts htmx swaps in later are rewritten
 * too. A static file, so the CSP's script-src 'self' allows it; it never evaluates page text.
 */
export const LOCAL_TIME_SCRIPT = `(() => {
  "use strict";
  const chosen = document.documentElement.getAttribute("data-time-zone");
  const zone = chosen || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  let clock;
  try {
    clock = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    });
  } catch (error) {
    console.error("local-time: unknown time zone " + zone + "; times stay in UTC", error);
    return;
  }
  const text = (date) => {
    const part = {};
    for (const p of clock.formatToParts(date)) part[p.type] = p.value;
    return part.year + "-" + part.month + "-" + part.day + " " + part.hour + ":" + part.minute + " " + zone;
  };
  // A chart's tick: the clock and the zone's short name ("19:36 GMT+9"), so ticks stay narrow.
  const tick = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  const rewrite = () => {
    for (const el of document.querySelectorAll("svg [data-at]:not([data-zone])")) {
      const date = new Date(el.getAttribute("data-at"));
      if (Number.isNaN(date.getTime())) continue;
      el.textContent = tick.format(date);
      el.setAttribute("data-zone", zone);
    }
    for (const el of document.querySelectorAll("svg[data-zone-label]:not([data-zone])")) {
      const label = el.getAttribute("aria-label") || "";
      el.setAttribute("aria-label", label.replace("(" + el.getAttribute("data-zone-label") + ")", "(" + zone + ")"));
      el.setAttribute("data-zone", zone);
    }
    for (const el of document.querySelectorAll("time[datetime]:not([data-zone])")) {
      const date = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) continue;
      el.setAttribute("title", el.textContent);
      el.textContent = text(date);
      el.setAttribute("data-zone", zone);
    }
  };
  rewrite();
  new MutationObserver(rewrite).observe(document.body, { childList: true, subtree: true });
})();
`;
