import {
  type GuestBackupSpec,
  type GuestOutcome,
  missingIds,
  selectGuests,
} from "../../../contracts/proxmox.ts";
import type { ProxmoxTools } from "../../config.ts";
import { configText, discoverGuests, guestConfig, type PveGuest } from "../../proxmox/discover.ts";
import { guestTarStream } from "../../proxmox/guest-tar.ts";
import { PveClient } from "../../proxmox/pve-client.ts";
import type { RunControl } from "./run-control.ts";

/**
 * The guests a backup order selects, resolved against the PVE API when the run starts (a guest
 * tagged since the job was saved is in it), and what happened to each as the stream ran.
 */
export class GuestSource {
  readonly outcomes: GuestOutcome[] = [];

  private constructor(
    private readonly spec: GuestBackupSpec,
    private readonly tools: ProxmoxTools,
    private readonly client: PveClient,
    readonly guests: PveGuest[],
  ) {}

  /** Resolves the selection, or says why nothing can be backed up (before the tape is touched). */
  static async open(
    spec: GuestBackupSpec,
    pve: { tools: ProxmoxTools; tokenSecret: string | null } | undefined,
    control: RunControl,
  ): Promise<GuestSource | { error: string }> {
    if (!pve?.tokenSecret) return { error: "the order carries no PVE token secret" };
    const client = new PveClient({
      apiUrl: spec.pve.apiUrl,
      tokenId: spec.pve.tokenId,
      tokenSecret: pve.tokenSecret,
      fingerprint: spec.pve.fingerprint,
    });
    let all: PveGuest[];
    try {
      all = (await discoverGuests(client)).guests;
    } catch (error) {
      return { error: (error as Error).message };
    }
    const node = spec.pve.node;
    for (const id of missingIds(all, spec.selection, node))
      control.addLog("warn", `guest ${id} is not on node ${node}; it was not backed up`, null);
    const guests = selectGuests(all, spec.selection, node);
    if (guests.length === 0)
      return { error: `the job's guest selection names no guest on node ${node}; nothing was written` };
    control.addLog(
      "info",
      `guests to back up on ${node} (${spec.mode} mode): ${guests.map((g) => `${g.vmid} ${g.name}`).join(", ")}`,
      null,
    );
    return new GuestSource(spec, pve.tools, client, guests);
  }

  /** Disk sizes as the API gives them: the first estimate of the bytes to stream. */
  get estimatedBytes(): number {
    return this.guests.reduce((sum, g) => sum + (g.maxdiskBytes ?? 0), 0);
  }

  stream(opts: { blockSize: number; signal: AbortSignal; control: RunControl }): AsyncIterable<Buffer> {
    const { control } = opts;
    return guestTarStream({
      guests: this.guests,
      config: async (g) => configText(await guestConfig(this.client, g.node, g.type, g.vmid)),
      mode: this.spec.mode,
      vzdump: this.tools.vzdump,
      partBytes: this.tools.partBytes,
      blockSize: opts.blockSize,
      signal: opts.signal,
      now: () => new Date(),
      log: (level, message, path) => control.addLog(level, message, path),
      onGuest: (outcome) => this.outcomes.push(outcome),
    });
  }

  get failed(): GuestOutcome[] {
    return this.outcomes.filter((o) => o.state === "failed");
  }

  /** "guests 102 (broken) failed" — for the run's error line. */
  failureWords(): string | null {
    const failed = this.failed;
    if (failed.length === 0) return null;
    const named = failed.map((o) => `${o.vmid} (${o.name}): ${o.error ?? "failed"}`);
    return `${failed.length} of ${this.outcomes.length} guests failed: ${named.join("; ")}`.slice(0, 4000);
  }
}
