import type { BackupOrderBody } from "../../../contracts/agent-protocol.ts";
import { ManifestBaseline } from "../../pipeline/manifest.ts";
import type { TarHeader } from "../../pipeline/tar-framer.ts";
import type { TarMember } from "../../pipeline/tar-parser.ts";
import { type WalkTotals, walkSources } from "../../pipeline/walk-source.ts";

type Totals = { files: number; bytes: number };

/**
 * What a backup has done and expects to do, in source terms: members tar produced and the bytes
 * of their content (and of the one still streaming). The totals are estimates — the job's last
 * run, then a stat-only pre-walk, then the walk feeding tar — until `counted` makes them real.
 */
export class SourceFigures {
  files = 0;
  bytes = 0;
  currentPath: string | null = null;
  totals: Totals | null;
  estimated = true;
  /** Non-directory entries the walk found in the selection; -1 until the walk has finished. */
  selected = -1;
  private walked = false;
  private open: { offset: () => number; member: () => TarHeader | null } | null = null;
  private readonly prewalkAbort = new AbortController();
  private prewalk: Promise<void> = Promise.resolve();

  constructor(
    private readonly order: BackupOrderBody,
    /** The base set's manifest for an incremental or differential; null for a full. */
    private readonly baseManifest: string | null = null,
  ) {
    this.totals = order.expected;
  }

  /** Starts the pre-walk; its totals replace the last run's, unless the walk finished first. */
  startPrewalk(): void {
    this.prewalk = estimateTotals(this.order, this.baseManifest, this.prewalkAbort.signal).then((t) => {
      if (t && !this.walked) this.totals = t;
    });
  }

  async stopPrewalk(): Promise<void> {
    this.prewalkAbort.abort();
    await this.prewalk;
  }

  follow(parser: { offset: number; openMember: TarHeader | null }): void {
    this.open = { offset: () => parser.offset, member: () => parser.openMember };
  }

  member(member: TarMember): void {
    this.files++;
    this.bytes += member.size;
    this.currentPath = member.path;
  }

  walkDone(t: WalkTotals): void {
    this.walked = true;
    this.totals = { files: t.files, bytes: t.bytes };
    this.selected = t.selected;
  }

  /** The stream has ended: what went to tape is the total now. */
  counted(): void {
    this.open = null;
    this.totals = { files: this.files, bytes: this.bytes };
    this.estimated = false;
  }

  /** Content bytes so far, including how far tar is into the member it is streaming. */
  bytesDone(): number {
    const member = this.open?.member();
    if (!this.open || !member) return this.bytes;
    const into = this.open.offset() - (member.endOffset - member.contentBytes);
    return this.bytes + Math.min(member.size, Math.max(0, into));
  }

  snapshot() {
    const done = this.bytesDone();
    return {
      bytesDone: done,
      bytesTotal: this.totals ? Math.max(this.totals.bytes, done) : null,
      filesDone: this.files,
      filesTotal: this.totals ? Math.max(this.totals.files, this.files) : null,
      currentPath: this.currentPath,
      totalsEstimated: this.estimated,
    };
  }
}

/** A stat-only walk of what the order will back up: the totals long before tar has read it all. */
async function estimateTotals(
  order: BackupOrderBody,
  baseManifest: string | null,
  signal: AbortSignal,
): Promise<Totals | null> {
  const baseline = baseManifest ? new ManifestBaseline(baseManifest) : null;
  const t = await walkSources({
    paths: order.source.paths,
    include: order.source.include,
    exclude: order.source.exclude,
    baseline,
    onPresent: () => undefined,
    onListed: () => true,
    drained: async () => undefined,
    onWarning: () => undefined,
    signal,
  })
    .catch(() => null)
    .finally(() => baseline?.close());
  return t && !signal.aborted ? { files: t.files, bytes: t.bytes } : null;
}
