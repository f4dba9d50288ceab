import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";
import type { OrderResult } from "../../contracts/agent-protocol.ts";
import { AgentConfig } from "../config.ts";

/**
 * The agent's state directory (mode 0700, files 0600):
 *   config.json            hub URL, agent id, pinned hub key, drives (written by enroll)
 *   signing-key.jwk        Ed25519 private key: signs the agent's request tokens
 *   encryption-key.jwk     X25519 private key: opens data keys sealed to this agent
 *   seen-orders.json       jti → exp of every order accepted, so a replay is refused after a restart
 *   orders/<id>.json       an order in flight, then its result until the hub acknowledged it
 *   outbox/<id>/<seq>.json reports of an order (catalog chunks, segments, log lines) the hub has
 *                          not taken yet, sent in seq order, oldest first, before its result
 *   work/                  scratch space of the executors
 *   agent.lock             pid of the running agent: one agent per state dir
 */
export const statePaths = (dir: string) => ({
  dir,
  config: join(dir, "config.json"),
  signingKey: join(dir, "signing-key.jwk"),
  encryptionKey: join(dir, "encryption-key.jwk"),
  seenOrders: join(dir, "seen-orders.json"),
  orders: join(dir, "orders"),
  order: (id: string) => join(dir, "orders", `${id}.json`),
  outboxes: join(dir, "outbox"),
  outbox: (id: string) => join(dir, "outbox", id),
  work: join(dir, "work"),
  lock: join(dir, "agent.lock"),
});

export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  for (const sub of [statePaths(dir).orders, statePaths(dir).outboxes, statePaths(dir).work])
    await mkdir(sub, { recursive: true, mode: 0o700 });
}

/** Write-then-rename, so a crash leaves the old file or the new one, never half of one. */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export type AgentKeys = { signing: CryptoKey; encryption: CryptoKey };
export type PublicKeys = {
  signing: { kty: "OKP"; crv: "Ed25519"; x: string };
  encryption: { kty: "OKP"; crv: "X25519"; x: string };
};

/** Makes both key pairs and stores the private halves; returns the public JWKs for enrollment. */
export async function createKeys(dir: string): Promise<PublicKeys> {
  const signing = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const encryption = await generateKeyPair("ECDH-ES+A256KW", { crv: "X25519", extractable: true });
  const paths = statePaths(dir);
  await writePrivateFile(paths.signingKey, JSON.stringify(await exportJWK(signing.privateKey)));
  await writePrivateFile(paths.encryptionKey, JSON.stringify(await exportJWK(encryption.privateKey)));
  const pub = async (key: CryptoKey) => {
    const { kty, crv, x } = await exportJWK(key);
    return { kty, crv, x } as never;
  };
  return { signing: await pub(signing.publicKey), encryption: await pub(encryption.publicKey) };
}

export async function loadKeys(dir: string): Promise<AgentKeys> {
  const paths = statePaths(dir);
  const read = async (path: string) => JSON.parse(await readFile(path, "utf8")) as JWK;
  return {
    signing: (await importJWK(await read(paths.signingKey), "EdDSA")) as CryptoKey,
    encryption: (await importJWK(await read(paths.encryptionKey), "ECDH-ES+A256KW")) as CryptoKey,
  };
}

export async function readAgentConfig(dir: string): Promise<AgentConfig | null> {
  const text = await readFile(statePaths(dir).config, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  return text === null ? null : AgentConfig.parse(JSON.parse(text));
}

export async function writeAgentConfig(dir: string, config: AgentConfig): Promise<void> {
  await writePrivateFile(statePaths(dir).config, `${JSON.stringify(config, null, 2)}\n`);
}

const SeenOrders = z.record(z.string(), z.number());

/** Order ids already accepted, each kept until its expiry has passed (after that it is refused as expired). */
export class SeenOrderStore {
  private seen: Record<string, number> = {};
  private constructor(private readonly path: string) {}

  static async open(dir: string): Promise<SeenOrderStore> {
    const store = new SeenOrderStore(statePaths(dir).seenOrders);
    const text = await readFile(store.path, "utf8").catch(() => "{}");
    store.seen = SeenOrders.catch({}).parse(JSON.parse(text));
    return store;
  }

  has(jti: string): boolean {
    return Object.hasOwn(this.seen, jti);
  }

  /** Persisted before the order runs: a crash after this point still refuses the replay. */
  async add(jti: string, exp: number, nowSeconds: number, skewSeconds: number): Promise<void> {
    for (const [id, until] of Object.entries(this.seen)) {
      if (until + skewSeconds < nowSeconds) delete this.seen[id];
    }
    this.seen[jti] = exp;
    await writePrivateFile(this.path, JSON.stringify(this.seen));
  }
}

export const OrderRecord = z.object({
  orderId: z.string(),
  kind: z.enum(["backup", "label", "restore", "verify", "eject", "scan", "library", "discover", "detect"]),
  runId: z.number().nullable(),
  setUuid: z.string().nullable(),
  startedAt: z.string(),
  /** Set once the executor finished; the record stays until the hub took the result. */
  result: z.custom<OrderResult>().nullable().default(null),
});
export type OrderRecord = z.output<typeof OrderRecord>;

export async function writeOrderRecord(dir: string, record: OrderRecord): Promise<void> {
  await writePrivateFile(statePaths(dir).order(record.orderId), JSON.stringify(record));
}

export async function removeOrderRecord(dir: string, orderId: string): Promise<void> {
  await rm(statePaths(dir).order(orderId), { force: true });
}

/** Orders with reports still waiting in the outbox. */
export async function listOutboxes(dir: string): Promise<string[]> {
  return readdir(statePaths(dir).outboxes).catch(() => []);
}

export async function listOrderRecords(dir: string): Promise<OrderRecord[]> {
  const names = (await readdir(statePaths(dir).orders).catch(() => [])).filter((n) => n.endsWith(".json"));
  const records: OrderRecord[] = [];
  for (const name of names) {
    const text = await readFile(join(statePaths(dir).orders, name), "utf8").catch(() => null);
    const parsed = text === null ? null : OrderRecord.safeParse(JSON.parse(text));
    if (parsed?.success) records.push(parsed.data);
  }
  return records;
}
