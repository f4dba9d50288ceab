/**
 * The catalog stage alone (not a test): 1,000,000 members of the 1M tree's shape through the
 * entry spool, the TOC and the catalog batcher (passthrough, chunks counted), CPU µs per member.
 * Run it with the agent's shipped V8 flags; a checkout path A/Bs another tree's stage:
 *
 *   node --max-old-space-size=128 --max-semi-space-size=4 --import tsx bench/backup/catalog-stage.ts [CHECKOUT]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const root = process.argv[2] ?? join(import.meta.dirname, "../..");
const { EntrySpool } = await import(join(root, "drive-agent/pipeline/entry-spool.ts"));
const { SetCatalog } = await import(join(root, "drive-agent/pipeline/set-catalog.ts"));
const MEMBERS = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), "catalog-stage-"));
const spool = new EntrySpool(join(dir, "entries"), 8 << 20);
let chunks = 0;
const catalog = new SetCatalog({
  spool,
  setUuid: "6a0c7f0e-3f5e-4a55-9a36-0d4b8d1f0a11",
  passthrough: true,
  blockSize: 65536,
  workDir: dir,
  chunkEntries: 5000,
  openOffset: () => Number.POSITIVE_INFINITY,
  chunkBytes: 8 << 20,
  send: async () => {
    chunks++;
  },
});
catalog.startSegment(0);
const cpu = process.cpuUsage();
let offset = 0;
for (let i = 0; i < MEMBERS; i++) {
  const size = i % 10 === 0 ? 1 : 0;
  spool.add({
    path: `tmp/tapebackarr-bench/tree-1m/d${Math.floor(i / 1000)}/f${i % 1000}`,
    type: "file",
    size,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: 1_764_600_000 + (i >> 12),
    linkTarget: null,
    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    headerOffset: offset,
    endOffset: offset + 512 + size,
  });
  offset += size ? 1024 : 512;
  if (i % 5000 === 4999) {
    spool.flush();
    await catalog.commit(offset);
  }
}
spool.flush();
await catalog.commit(offset);
await catalog.flush();
const used = process.cpuUsage(cpu);
const perMember = ((used.user + used.system) / MEMBERS).toFixed(2);
const rss = (process.resourceUsage().maxRSS / 1024).toFixed(0);
const load = loadavg().map((l) => l.toFixed(1));
console.log(
  `${root}: ${perMember} CPU µs per member, ${chunks} chunks, peak RSS ${rss} MB (load ${load.join(" ")})`,
);
spool.close();
rmSync(dir, { recursive: true, force: true });
