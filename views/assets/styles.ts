/** The hub's own stylesheet: small, no framework, readable on a laptop and a phone. */
export const STYLES = `
.toasts { position:fixed; right:1rem; bottom:1rem; display:flex; flex-direction:column; gap:.5rem; max-width:28rem; z-index:10; }
.toast { background:#fff; border-left:4px solid #3b82f6; box-shadow:0 2px 8px rgba(0,0,0,.2); padding:.6rem .8rem; border-radius:4px; }
.toast.warning { border-left-color:#d97706; }
.toast.error, .toast.critical { border-left-color:#dc2626; }
.toast .toast-link { margin-left:.5rem; }
:root { --bg:#f6f7f9; --fg:#1d2330; --muted:#5b6475; --card:#fff; --line:#dde1e8; --accent:#1f6feb; --bad:#c62828; --warn:#b26a00; --good:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
a { color: var(--accent); }
header.top { display:flex; align-items:center; gap:1rem; padding:.6rem 1rem; background:#111827; color:#fff; flex-wrap:wrap; }
header.top a { color:#cbd5e1; text-decoration:none; }
header.top a[aria-current="page"], header.top a:hover { color:#fff; }
header.top .brand { font-weight:700; color:#fff; margin-right:1rem; }
header.top nav { display:flex; gap:1rem; flex-wrap:wrap; flex:1; }
header.top .who { display:flex; gap:.6rem; align-items:center; color:#cbd5e1; }
.attention { background:#fff4e5; border-bottom:2px solid var(--warn); padding:.5rem 1rem; }
.attention ul { list-style:none; margin:0 auto; padding:0; max-width:72rem; display:flex; flex-direction:column; gap:.25rem; }
.attention li { overflow-wrap:anywhere; }
.attention strong { color:var(--warn); margin-right:.4rem; }
.attention .attention-failed-run strong, .attention .attention-drive-alert strong, .attention .attention-agent-offline strong { color:var(--bad); }
.attention a { color:var(--fg); }
main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:1rem 1.2rem; margin-bottom:1rem; overflow-x:auto; }
.grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap:1rem; }
.stat { font-size: 1.8rem; font-weight: 700; }
.muted { color: var(--muted); }
form.stack { display:flex; flex-direction:column; gap:.8rem; }
label { display:flex; flex-direction:column; gap:.25rem; font-weight:600; }
input, select, button { font: inherit; padding:.5rem .6rem; border:1px solid var(--line); border-radius:6px; }
button { background: var(--accent); color:#fff; border-color: var(--accent); cursor:pointer; }
button.link { background:none; border:none; color:#cbd5e1; padding:0; }
.alert { padding:.6rem .8rem; border-radius:6px; border:1px solid; }
.alert.error { color: var(--bad); border-color: var(--bad); background:#fdecea; }
.alert.ok { color: var(--good); border-color: var(--good); background:#edf7ed; }
.alert.warn { color: var(--warn); border-color: var(--warn); background:#fff4e5; }
.badge { display:inline-block; padding:0 .45rem; border-radius:999px; font-size:.8rem; background:#e8ebf0; color:var(--fg); }
.state-running, .state-online, .state-active, .state-idle, .state-completed { background:#e3f1e4; color: var(--good); }
.state-failed, .state-error, .state-offline, .state-interrupted { background:#fdecea; color: var(--bad); }
.state-waiting-for-tape, .state-paused, .state-completed-with-warnings, .state-queued { background:#fff4e5; color: var(--warn); }
progress { width:100%; height:1.1rem; }
form.inline { display:inline-flex; flex-wrap:wrap; gap:.4rem; align-items:center; margin:0 .4rem .4rem 0; }
.actions { display:flex; flex-wrap:wrap; align-items:center; margin-bottom:1rem; }
form.filters { display:flex; flex-wrap:wrap; gap:.8rem; align-items:flex-end; margin-bottom:1rem; }
pre { white-space:pre-wrap; overflow-wrap:anywhere; background:#f0f2f5; padding:.6rem; border-radius:6px; }
.run { padding:.6rem 0; border-bottom:1px solid var(--line); }
.run-path { font-family: ui-monospace, monospace; font-size:.85rem; overflow-wrap:anywhere; }
svg.chart { display:block; width:100%; height:auto; max-width:48rem; }
svg.chart text { font-size:12px; fill:var(--muted); }
svg.chart .axis { stroke:var(--muted); stroke-width:1; }
svg.chart .grid { stroke:var(--line); stroke-width:1; }
svg.chart .bar { fill:var(--accent); opacity:.85; }
svg.chart .bar:hover { opacity:1; }
svg.chart .kind-restore { fill:var(--good); }
svg.chart .kind-verify, svg.chart .kind-scan { fill:var(--warn); }
svg.chart .line { fill:none; stroke:var(--accent); stroke-width:2; }
.chart-legend { display:flex; flex-wrap:wrap; gap:.3rem 1rem; font-size:.85rem; }
.badge.kind { background:#e7eefc; color:#1747a6; text-transform:lowercase; }
.drive-writing { background:#e7eefc; color:#1747a6; }
.drive-reading { background:#e3f1e4; color:var(--good); }
.drive-paused, .drive-waiting-for-tape, .drive-cleaning { background:#fff4e5; color:var(--warn); }
.drive-error, .drive-offline { background:#fdecea; color:var(--bad); }
.capacity { display:flex; flex-wrap:wrap; align-items:center; gap:.2rem .6rem; }
.capacity meter { flex:1 1 10rem; min-width:8rem; height:1rem; }
.capacity-row { padding:.3rem 0; }
td .capacity { min-width:12rem; }
td .capacity meter { min-width:5rem; }
ol.checklist { list-style:none; padding:0; margin:0; display:flex; flex-direction:column; gap:.35rem; }
ol.checklist .done { color:var(--muted); text-decoration:line-through; }
ol.checklist .done .tick { color:var(--good); text-decoration:none; }
ol.checklist .next { font-weight:600; }
.setup { border-color:var(--accent); }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip-path:inset(50%); white-space:nowrap; }
button.danger { background:var(--bad); border-color:var(--bad); }
a.button { display:inline-block; padding:.5rem .6rem; border:1px solid var(--accent); border-radius:6px; text-decoration:none; }
.next-steps { gap:.4rem; }
.next-steps form.inline { margin:0; }
.outcome th { width:9rem; }
.summary-line { font-family: ui-monospace, monospace; font-size:.85rem; overflow-wrap:anywhere; }
.schedule-preview { display:block; font-size:.9rem; }
.paused { color:var(--warn); }
.login { max-width: 24rem; margin: 4rem auto; }
table { width:100%; border-collapse: collapse; }
th, td { text-align:left; padding:.4rem .5rem; border-bottom:1px solid var(--line); }
td.nowrap { white-space:nowrap; }
td.log-message { overflow-wrap:anywhere; }
/* A time in a table reads as one: "2026-12-01 22:00 UTC", not broken over three lines. */
td > time { white-space:nowrap; }
.run-log:has(tbody tr[class^="log-"]:not(.log-more)) .log-empty { display:none; }
td.log-message > div { min-width:13rem; }
.scroll-x { overflow-x:auto; }
code.wrap { overflow-wrap:anywhere; }
label.check { flex-direction:row; align-items:center; gap:.4rem; font-weight:400; }
fieldset { border:1px solid var(--line); border-radius:6px; display:flex; flex-wrap:wrap; gap:.3rem 1rem; }
legend { font-weight:600; }
nav.tabs { display:flex; gap:1rem; margin-bottom:1rem; border-bottom:1px solid var(--line); }
nav.tabs a { padding:.3rem 0; text-decoration:none; }
nav.tabs a[aria-current="page"] { border-bottom:2px solid var(--accent); font-weight:600; }
@media (max-width: 640px) {
  header.top { gap:.4rem .8rem; padding:.5rem .8rem; }
  header.top .brand { margin-right:0; }
  header.top nav { gap:.3rem .9rem; flex-basis:100%; order:3; }
  header.top nav a { padding:.25rem 0; }
  header.top .who { margin-left:auto; font-size:.85rem; }
  main { margin:1rem auto; padding:0 .6rem; }
  .card { padding:.8rem; }
  h1 { font-size:1.4rem; }
  input, select { max-width:100%; }
  td.nowrap { white-space:normal; min-width:6rem; }
}
/* Key sheets: printed from the Keys page, only the sheet reaches the paper. */
.key-sheet pre, .key-sheet code.key { font:9pt/1.3 ui-monospace, monospace; white-space:pre-wrap; word-break:break-all; }
.key-sheet .qr svg { width:60mm; height:60mm; }
.doc pre { overflow-x:auto; }
@media print {
  @page { size:A4; margin:14mm; }
  body { background:#fff; color:#000; }
  header.top, nav, .no-print, main > :not(.printable), .attention { display:none !important; }
  main { margin:0; max-width:none; }
  .printable { border:none; box-shadow:none; padding:0; }
  .printable .card { border:none; }
}
`;
