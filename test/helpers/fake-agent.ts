import { eq } from "drizzle-orm";
import { compactDecrypt, compactVerify, importJWK } from "jose";
import { afterEach, beforeEach } from "vitest";
import { type DriveReport, OrderClaims } from "../../contracts/agent-protocol.ts";
import { tapes } from "../../functions/db/schema/index.ts";
import { agentKeyPairs, agentToken } from "./agent-keys.ts";
import { createTestHub, type TestHub } from "./hub.ts";

/**
 * An agent made of the protocol alone (keys, tokens, JSON): drives the hub's /agent/v1 side
 * in tests without tapes. The real drive-agent process is tested elsewhere.
 */
export async function fakeAgent(
  hub: TestHub,
  enrollmentToken: string,
  drives: Partial<DriveReport>[] = [{}],
) {
  const { signing, encryption, signingKey, encryptionKey } = await agentKeyPairs();
  const driveReports = drives.map((d, i) => ({
    devicePath: `/vtl/drive${i}`,
    name: `Drive ${i}`,
    kind: "vtl" as const,
    ...d,
  }));
  const enrolled = await hub.request("/agent/v1/enroll", {
    method: "POST",
    json: {
      token: enrollmentToken,
      signingKey,
      encryptionKey,
      hostname: "tapehost-1",
      version: "test",
      drives: driveReports,
      changers: [],
    },
  });
  if (enrolled.status !== 200) throw new Error(`enroll failed: ${enrolled.status} ${await enrolled.text()}`);
  const { agentId, hubSigningKey } = (await enrolled.json()) as {
    agentId: string;
    hubSigningKey: Record<string, string>;
  };

  // Tokens are dated by the hub's clock, as a real agent's and hub's agree, so tests can move it.
  const token = (opts: { expSeconds?: number; key?: CryptoKey; iss?: string } = {}) => {
    const now = Math.floor(hub.ctx.now().getTime() / 1000);
    return agentToken(opts.iss ?? agentId, opts.key ?? signing.privateKey, now, opts.expSeconds ?? 60);
  };

  const call = async (method: string, path: string, json?: unknown, bearer?: string) =>
    hub.request(`/agent/v1${path}`, {
      method,
      ...(json === undefined ? {} : { json }),
      token: bearer ?? (await token()),
    });

  return {
    agentId,
    hubSigningKey,
    driveReports,
    token,
    call,
    /** Verifies a work order exactly as the real agent must: signature on the raw bytes first. */
    async verifyOrder(jws: string) {
      const key = await importJWK({ ...hubSigningKey, alg: "EdDSA" }, "EdDSA");
      const { payload, protectedHeader } = await compactVerify(jws, key);
      const claims = OrderClaims.parse(JSON.parse(new TextDecoder().decode(payload)));
      return { claims, protectedHeader };
    },
    async openDataKey(jwe: string) {
      return (await compactDecrypt(jwe, encryption.privateKey)).plaintext;
    },
  };
}

/** An agent named `name`, created by the admin and enrolled with one drive holding `barcode`. */
export async function enrolledAgentWithDrive(hub: TestHub, name: string, barcode: string) {
  const admin = await hub.tokenFor("admin");
  const created = await hub.requestJson<{ enrollmentToken: string }>("/api/v1/agents", {
    method: "POST",
    token: admin,
    json: { name },
  });
  const agent = await fakeAgent(hub, created.enrollmentToken, [{ loadedBarcode: barcode }]);
  const drives = await hub.requestJson<{
    items: { id: number }[];
  }>("/api/v1/drives", { token: admin });
  return { admin, agent, driveId: drives.items[0]?.id as number };
}

/**
 * The agent "host", enrolled with one drive holding `barcode` and reported by a heartbeat; that
 * tape in the catalog labelled `barcode` (uuid "u-1") and active, with `tape` on top (its pool).
 */
export async function agentWithActiveTape(
  hub: TestHub,
  barcode: string,
  tape: Partial<typeof tapes.$inferInsert> = {},
) {
  const { agent } = await enrolledAgentWithDrive(hub, "host", barcode);
  await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
  await hub.ctx.db
    .update(tapes)
    .set({ label: barcode, uuid: "u-1", state: "active", ...tape })
    .where(eq(tapes.barcode, barcode));
  return agent;
}

/**
 * Gives each test of the describe block a fresh hub (orders polled every 20 ms) with the agent
 * "tapehost" enrolled, its one drive holding TB0001L9, handed to `use` before the test; the hub
 * is closed after it.
 */
export function hubWithDriveAgentForEachTest(
  use: (fixture: {
    hub: TestHub;
    admin: string;
    agent: Awaited<ReturnType<typeof fakeAgent>>;
    driveId: number;
  }) => void,
): void {
  let hub: TestHub | undefined;
  beforeEach(async () => {
    hub = await createTestHub({ POLL_INTERVAL_MS: "20" });
    use({ hub, ...(await enrolledAgentWithDrive(hub, "tapehost", "TB0001L9")) });
  });
  afterEach(() => hub?.close());
}
