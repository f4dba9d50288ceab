import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { generateKeyPair } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CatalogEntry, LogLines, SegmentReport } from "../../../contracts/agent-protocol.ts";
import { HubClient } from "../../../drive-agent/runtime/hub-client.ts";
import { HubReporter } from "../../../drive-agent/runtime/hub-reporter.ts";
import { createAgentLogger } from "../../../drive-agent/runtime/logger.ts";
import { deliverAfterReports, type OrderEnv } from "../../../drive-agent/runtime/run-order.ts";
import { ensureStateDir, statePaths } from "../../../drive-agent/runtime/state-dir.ts";
import { segmentOn } from "../../helpers/backup-order.ts";

const SET = "9f2d8a1c-3b4e-4f5a-8c7d-1e2f3a4b5c6d";
const ORDER = "order-0123456789abcdef";

type Answer = { status: number; json?: unknown } | "drop";
type Seen = { path: string; body: unknown; answered: number | "dropped" };

/**
 * The hub's agent order routes as a small loopback server: `answer` decides each reply (or drops
 * the connection); every request is kept, in arrival order, with what it was answered.
 */
async function standInHub(answer: (path: string, body: unknown) => Answer) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      const path = (req.url ?? "").replace(`/agent/v1/orders/${ORDER}/`, "");
      const body = raw ? JSON.parse(raw) : null;
      const reply = answer(path, body);
      seen.push({ path, body, answered: reply === "drop" ? "dropped" : reply.status });
      if (reply === "drop") return void req.socket.destroy();
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(JSON.stringify(reply.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    /** What the hub took (2xx), in order. */
    taken: () => seen.filter((s) => typeof s.answered === "number" && s.answered < 300),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback address nothing listens on: every post fails to connect. */
async function closedHubUrl(): Promise<string> {
  const hub = await standInHub(() => ({ status: 200 }));
  await hub.close();
  return hub.url;
}

const entry = (path: string, offset: number): CatalogEntry => [
  path,
  "file",
  1,
  0o644,
  0,
  0,
  1_700_000_000,
  null,
  "f".repeat(64),
  offset,
  0,
  0,
  false,
];
const chunk = (seq: number) => ({ setUuid: SET, seq, entries: [entry(`dir/f${seq}`, seq * 512)] });
const segment: SegmentReport = segmentOn(SET);
const line = (message: string): LogLines["lines"][number] => ({
  at: new Date(0).toISOString(),
  level: "warn",
  message,
  path: null,
});

describe("the agent's reports reach the hub through a durable outbox", () => {
  let stateDir: string;
  let signingKey: CryptoKey;
  let logs: { level: number; msg: string; err?: string }[];
  const hubs: { close(): Promise<void> }[] = [];
  const stops: AbortController[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "tb-outbox-"));
    await ensureStateDir(stateDir);
    signingKey = (await generateKeyPair("EdDSA", { crv: "Ed25519" })).privateKey;
    logs = [];
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop.abort();
    for (const hub of hubs.splice(0)) await hub.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const logger = () =>
    createAgentLogger(
      "debug",
      new Writable({
        write(data, _enc, done) {
          for (const text of String(data).split("\n").filter(Boolean)) logs.push(JSON.parse(text));
          done();
        },
      }),
    );

  async function hubAnswering(answer: (path: string, body: unknown) => Answer) {
    const hub = await standInHub(answer);
    hubs.push(hub);
    return hub;
  }

  /** A reporter for ORDER in the state dir, posting to `url`, retrying until its `stop` aborts. */
  function reporterFor(url: string) {
    const stop = new AbortController();
    stops.push(stop);
    const client = new HubClient(url, "agent-1", signingKey);
    const log = logger();
    const reporter = new HubReporter({
      client,
      orderId: ORDER,
      stateDir,
      log,
      until: stop.signal,
      onCancel: () => {},
    });
    return { reporter, stop, client, log };
  }

  const outbox = () => statePaths(stateDir).outbox(ORDER);
  const outboxFiles = async () => (await readdir(outbox()).catch(() => [] as string[])).sort();

  it("keeps reports on disk while the hub cannot be reached, and a later agent sends them in their order", async () => {
    const first = reporterFor(await closedHubUrl());
    await first.reporter.catalogChunk(chunk(0));
    await first.reporter.segment(segment);
    await first.reporter.log([line("cannot open: Permission denied")]);

    const files = await outboxFiles();
    expect(files).toHaveLength(3);
    for (const name of files) {
      expect(name).toMatch(/^\d{16}\.json$/);
      expect((await stat(join(outbox(), name))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(outbox())).mode & 0o777).toBe(0o700);
    const [meta, body] = (await readFile(join(outbox(), files[0] as string), "utf8")).split("\n");
    expect(JSON.parse(meta as string)).toEqual({ path: "catalog", what: "catalog chunk 0" });
    expect(JSON.parse(body as string)).toEqual(chunk(0));

    // The agent stops: the grace period runs out and its reporter gives up, leaving the outbox.
    first.stop.abort();
    expect(await first.reporter.flush()).toBe(false);
    expect(await outboxFiles()).toEqual(files);

    // The next start, with the hub back: a half-written file of the crash is no report.
    await writeFile(join(outbox(), `${files[2]}.4242.tmp`), "{");
    const hub = await hubAnswering(() => ({ status: 200 }));
    const second = reporterFor(hub.url);
    expect(await second.reporter.resume()).toBe(3);
    await second.reporter.log([line("after the restart")]);
    expect(await second.reporter.flush()).toBe(true);

    expect(hub.seen.map((s) => s.path)).toEqual(["catalog", "segments", "logs", "logs"]);
    const bodies = hub.seen.map((s) => s.body as { seq?: number });
    expect(bodies[0]).toEqual(chunk(0));
    expect(bodies[1]).toEqual({ ...segment, seq: Number(files[1]?.slice(0, 16)) });
    expect(bodies[2]).toEqual({
      seq: Number(files[2]?.slice(0, 16)),
      lines: [line("cannot open: Permission denied")],
    });
    // Report numbers keep rising across the restart, so the hub never takes a new one for a re-send.
    expect(bodies[3]?.seq).toBeGreaterThan(bodies[2]?.seq as number);
    expect(second.reporter.refusal).toBeNull();
    await second.reporter.discard();
    await expect(stat(outbox())).rejects.toThrow(/ENOENT/);
  });

  it("fails the order in the hub's words when the hub refuses one report, and still delivers the others", async () => {
    const tooLarge = {
      error: { code: "payload_too_large", message: "The request body is larger than 4194304 bytes" },
    };
    const hub = await hubAnswering((path, body) =>
      path === "catalog" && (body as { seq: number }).seq === 1
        ? { status: 413, json: tooLarge }
        : { status: 200 },
    );
    const { reporter, stop, client, log } = reporterFor(hub.url);
    await reporter.catalogChunk(chunk(0));
    await reporter.catalogChunk(chunk(1));
    await reporter.catalogChunk(chunk(2));
    await reporter.segment(segment);
    expect(await reporter.flush()).toBe(true);

    const hubWords = `hub refused POST /orders/${ORDER}/catalog: 413 The request body is larger than 4194304 bytes`;
    expect(reporter.refusal).toEqual({ what: "catalog chunk 1", status: 413, message: hubWords });
    // The chunks and the segment in their order; the refusal's log line is queued when the hub
    // refuses, which may be before or after the segment was queued.
    const taken = hub.taken();
    expect(
      taken.filter((t) => t.path !== "logs").map((t) => [t.path, (t.body as { seq?: number }).seq]),
    ).toEqual([
      ["catalog", 0],
      ["catalog", 2],
      ["segments", expect.any(Number)],
    ]);
    const refusedLine = (taken.find((t) => t.path === "logs")?.body as LogLines | undefined)?.lines;
    expect(refusedLine).toEqual([expect.objectContaining({ level: "error", message: hubWords })]);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 50, msg: "hub refused catalog chunk 1", err: hubWords }),
    );

    // The executor said "completed"; the result the hub gets says the order failed, and why.
    const env = { client, stateDir, log, retryUntil: stop.signal } as Partial<OrderEnv> as OrderEnv;
    const record = {
      orderId: ORDER,
      kind: "backup" as const,
      runId: 7,
      setUuid: SET,
      startedAt: new Date(0).toISOString(),
      result: { state: "completed" as const, catalog: [] },
    };
    expect(await deliverAfterReports(env, record, reporter, log)).toBe(true);
    const result = hub.seen.at(-1);
    expect(result?.path).toBe("result");
    expect(result?.body).toMatchObject({
      state: "failed",
      retryable: false,
      error: `the hub refused catalog chunk 1 (${hubWords})`,
    });
    await expect(stat(outbox())).rejects.toThrow(/ENOENT/);
    await expect(stat(statePaths(stateDir).order(ORDER))).rejects.toThrow(/ENOENT/);
  });

  it("still fails the order with the hub's words when the agent restarts between the refusal and the result", async () => {
    const hub = await hubAnswering((path) =>
      path === "catalog" ? { status: 422, json: { error: { message: "no such set" } } } : { status: 200 },
    );
    const first = reporterFor(hub.url);
    await first.reporter.catalogChunk(chunk(0));
    expect(await first.reporter.flush()).toBe(true);
    expect(first.reporter.refusal?.what).toBe("catalog chunk 0");
    first.stop.abort(); // the agent stops before its result went out

    const again = reporterFor(hub.url);
    await again.reporter.resume();
    expect(again.reporter.refusal).toEqual(first.reporter.refusal);
    const env = { client: again.client, stateDir, log: again.log, retryUntil: again.stop.signal };
    const record = {
      orderId: ORDER,
      kind: "backup" as const,
      runId: 7,
      setUuid: SET,
      startedAt: new Date(0).toISOString(),
      result: { state: "completed" as const, catalog: [] },
    };
    expect(
      await deliverAfterReports(env as Partial<OrderEnv> as OrderEnv, record, again.reporter, again.log),
    ).toBe(true);
    expect(hub.seen.at(-1)?.body).toMatchObject({
      state: "failed",
      error: expect.stringContaining("no such set"),
    });
    await expect(stat(outbox())).rejects.toThrow(/ENOENT/);
  });

  it("retries a report the hub answers 429 or whose connection drops, and never counts it as refused", async () => {
    const answers: Answer[] = [{ status: 429 }, "drop"];
    const hub = await hubAnswering(() => answers.shift() ?? { status: 200 });
    const { reporter } = reporterFor(hub.url);
    await reporter.catalogChunk(chunk(0));
    expect(await reporter.flush()).toBe(true);

    expect(hub.seen.map((s) => s.answered)).toEqual([429, "dropped", 200]);
    expect(hub.seen.map((s) => s.body)).toEqual([chunk(0), chunk(0), chunk(0)]);
    expect(reporter.refusal).toBeNull();
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 40, msg: "hub unreachable; will resend catalog chunk 0" }),
    );
    expect(await outboxFiles()).toEqual([]);
  });

  it("makes no further attempt once retries are called off during a backoff", async () => {
    const hub = await hubAnswering(() => ({ status: 503 }));
    const client = new HubClient(hub.url, "agent-1", signingKey);
    const until = new AbortController();
    const sent = client.sendJson("POST", `/orders/${ORDER}/logs`, "{}", {
      retry: { until: until.signal, onRetry: () => until.abort() },
    });
    await expect(sent).rejects.toThrow(/hub answered 503/);
    expect(hub.seen).toHaveLength(1);
  });
});
