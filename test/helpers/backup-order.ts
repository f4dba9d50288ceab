import { eq } from "drizzle-orm";
import type { CatalogEntry, SegmentReport } from "../../contracts/agent-protocol.ts";
import { backupSets, pools } from "../../functions/db/schema/index.ts";
import { agentWithActiveTape } from "./fake-agent.ts";
import type { TestHub } from "./hub.ts";

export const BACKUP_BARCODE = "L00001L9";
export const BACKUP_TAPE_UUID = "u-1";

/**
 * A backup run taken by the fake agent "host" and acknowledged: pool "Weekly", its active tape
 * L00001L9 (uuid "u-1") in the agent's one drive, a source and the job "Nightly". The set row
 * exists (state "writing"); what the test posts next is up to it.
 */
export async function acknowledgedBackupOrder(hub: TestHub, admin: string) {
  const now = new Date();
  const [pool] = await hub.ctx.db
    .insert(pools)
    .values({ name: "Weekly", createdAt: now, updatedAt: now })
    .returning();
  const poolId = pool?.id as number;
  const agent = await agentWithActiveTape(hub, BACKUP_BARCODE, { poolId, fileCount: 1 });
  const post = async (path: string, json: unknown) => {
    const res = await hub.request(path, { method: "POST", token: admin, json });
    if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: number };
  };
  const source = await post("/api/v1/sources", {
    name: "Share",
    kind: "local",
    paths: ["/srv/share"],
    agentId: agent.agentId,
  });
  const job = await post("/api/v1/jobs", { name: "Nightly", sourceId: source.id, poolId });
  const run = await post(`/api/v1/jobs/${job.id}/run`, {});
  const polled = await agent.call("GET", "/orders/next?wait=1");
  if (polled.status !== 200) throw new Error(`no backup order: ${polled.status}`);
  const { claims } = await agent.verifyOrder(((await polled.json()) as { order: string }).order);
  if (claims.body.kind !== "backup") throw new Error(`expected a backup order, got ${claims.body.kind}`);
  const ack = await agent.call("POST", `/orders/${claims.jti}/ack`);
  if (ack.status !== 204) throw new Error(`ack: ${ack.status}`);
  const setUuid = claims.body.set.uuid;
  const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, setUuid) });
  return { agent, orderId: claims.jti, runId: run.id, setUuid, setId: set?.id as number, jobId: job.id };
}

/** A file entry of segment `segment` whose tar header is at `offset`. */
export const fileAt = (path: string, offset: number, segment = 0): CatalogEntry => [
  path,
  "file",
  10,
  0o644,
  0,
  0,
  1_700_000_000,
  null,
  "c".repeat(64),
  offset,
  segment,
  segment,
  false,
];

/** The segment report of the set's `sequence`th tape, L00001L9, closed and complete. */
export const segmentOn = (setUuid: string, sequence = 0, seq?: number): SegmentReport => ({
  ...(seq === undefined ? {} : { seq }),
  setUuid,
  sequence,
  tapeBarcode: BACKUP_BARCODE,
  fileNumber: 1,
  streamOffset: 0,
  bytes: 4096,
  blocks: 1,
  complete: true,
  nextFile: 3,
  tapeFull: false,
});
