import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestHub, errorOf, type TestHub } from "../helpers/hub.ts";

describe("API input validation and the error shape", () => {
  let hub: TestHub;
  let admin: string;
  beforeAll(async () => {
    hub = await createTestHub({ MAX_BODY_BYTES: "4096" });
    admin = await hub.tokenFor("admin");
  });
  afterAll(() => hub.close());

  it("answers malformed JSON with 400 invalid_json and the request id", async () => {
    const res = await hub.request("/api/v1/pools", {
      method: "POST",
      token: admin,
      headers: { "content-type": "application/json", "x-request-id": "req-test-123456" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: "invalid_json",
      message: "The request body is not valid JSON",
      requestId: "req-test-123456",
    });
  });

  it("answers wrong types with 400 validation_failed naming each bad field", async () => {
    const res = await hub.request("/api/v1/pools", {
      method: "POST",
      token: admin,
      json: { name: 42, retentionDays: "thirty" },
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("validation_failed");
    const paths = (error.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["body.name", "body.retentionDays"]));
  });

  it("refuses a body that is not JSON with 415", async () => {
    const res = await hub.request("/api/v1/pools", {
      method: "POST",
      token: admin,
      headers: { "content-type": "text/plain" },
      body: "name=x",
    });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe("unsupported_media_type");
  });

  it("refuses an oversized body with 413, never a 500", async () => {
    const res = await hub.request("/api/v1/pools", {
      method: "POST",
      token: admin,
      json: { name: "x".repeat(10_000) },
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
  });

  it("rejects bad query and path values with 400", async () => {
    expect((await hub.request("/api/v1/tapes?limit=100000", { token: admin })).status).toBe(400);
    expect((await hub.request("/api/v1/tapes?state=melted", { token: admin })).status).toBe(400);
    expect((await hub.request("/api/v1/tapes/abc", { token: admin })).status).toBe(400);
    expect((await hub.request("/api/v1/tapes/-1", { token: admin })).status).toBe(400);
  });

  it("answers an unknown API path with a JSON 404 in the same shape", async () => {
    const res = await hub.request("/api/v1/no-such-thing", { token: admin });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("survives hostile input without a 500: deep JSON, arrays for objects, huge numbers, NUL bytes", async () => {
    const bodies = [
      "[]",
      "null",
      '"string"',
      JSON.stringify({ name: "a\u0000b" }),
      JSON.stringify({ name: "ok", retentionDays: 1e308 }),
      `${"[".repeat(1000)}${"]".repeat(1000)}`,
    ];
    for (const body of bodies) {
      const res = await hub.request("/api/v1/pools", {
        method: "POST",
        token: admin,
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status, body.slice(0, 40)).toBe(400);
    }
  });

  it("serves an OpenAPI document that lists every API route with its permission", async () => {
    const doc = (await (await hub.request("/api/v1/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { "x-permission": string }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const spec of hub.api.specs) {
      const path = `/api/v1${spec.path}`.replace(/:(\w+)/g, "{$1}");
      expect(doc.paths[path]?.[spec.method.toLowerCase()]?.["x-permission"], `${spec.method} ${path}`).toBe(
        spec.permission,
      );
    }
    expect(doc.paths["/api/v1/pools"]?.post).toHaveProperty("requestBody");
  });
});
