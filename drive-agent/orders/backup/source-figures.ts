import type { BackupOrderBody } from "../../../contracts/agent-protocol.ts";
import type { TarHeader } from "../../pipeline/tar-framer.ts";
import type { TarMember } from "../../pipeline/tar-parser.ts";
import type { WalkTotals } from "../../pipeline/walk-source.ts";

type Totals = { files: number; bytes: number };

/**
 * What a backup has done and expects to do, in source terms: members tar produced and the bytes
 * of their content (and of the one still streaming). The totals are estimates — the job's last
 * run, then the walk's once it has listed the sources (it runs ahead of tar, docs/adr/0028) —
 * until `counted` makes them real.
 */
export class SourceFigures {
  files = 0;
  bytes = 0;
  currentPath: string | null = null;
  totals: Totals | null;
  estimated = true;
  /** Non-directory entries the walk found in the selection; -1 until the walk has finished. */
  selected = -1;
  private open: { offset: () => number; member: () => TarHeader | null } | null = null;

  constructor(order: BackupOrderBody) {
    this.totals = order.expected;
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
