import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.ts";
import { hashPassword, inlinePasswords } from "../../functions/security/passwords.ts";
import { type WorkerPasswords, workerPasswords } from "../../functions/security/passwords-node.ts";
import { ADMIN_PASSWORD, createTestHub, type TestHub } from "../helpers/hub.ts";

/** The longest gap between 5 ms timer ticks while `work` runs, and how long `work` took. */
async function loopGapsDuring<T>(
  work: () => Promise<T>,
): Promise<{ value: T; maxGapMs: number; tookMs: number }> {
  let maxGapMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    const value = await work();
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    return { value, maxGapMs, tookMs: now - started };
  } finally {
    clearInterval(timer);
  }
}

describe("passwords checked in a worker thread", () => {
  let passwords: WorkerPasswords | undefined;
  let hub: TestHub | undefined;
  afterEach(async () => {
    await passwords?.close();
    await hub?.close();
    passwords = undefined;
    hub = undefined;
  });

  it("hashes and checks as bcryptjs does inline, in both directions", async () => {
    passwords = workerPasswords();
    const inWorker = await passwords.hash("correct horse battery", 4);
    expect(await inlinePasswords.verify("correct horse battery", inWorker)).toBe(true);
    const inline = await inlinePasswords.hash("correct horse battery", 4);
    expect(await passwords.verify("correct horse battery", inline)).toBe(true);
    expect(await passwords.verify("wrong horse battery", inline)).toBe(false);
    expect(passwords.jobs).toBe(3);
  });

  it("keeps the event loop turning while it checks a password at cost 12", async () => {
    passwords = workerPasswords();
    const hash = await hashPassword("a password at the shipped cost", 12, inlinePasswords);
    // Started once, so the measured check is not the thread's start-up.
    await passwords.verify("warm-up", await inlinePasswords.hash("warm-up", 4));
    const checked = await loopGapsDuring(() =>
      (passwords as WorkerPasswords).verify("a password at the shipped cost", hash),
    );
    expect(checked.value).toBe(true);
    expect((passwords as WorkerPasswords).jobs).toBe(2);
    // Inline, bcryptjs holds the loop for slices of ~100 ms each (its own MAX_EXECUTION_TIME); in
    // the worker the loop keeps ticking. Both are measured here, so a loaded machine slows both.
    const inline = await loopGapsDuring(() => inlinePasswords.verify("a password at the shipped cost", hash));
    expect(inline.value).toBe(true);
    expect(checked.maxGapMs).toBeLessThan(inline.maxGapMs / 2);
  }, 60_000);

  it("is the hasher a sign-in through the app uses when the entry injects it", async () => {
    hub = await createTestHub();
    passwords = workerPasswords();
    const app = createApp({ ...hub.deps, passwords }).app;
    const answer = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    });
    expect(answer.status).toBe(200);
    const refused = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "not-the-admin-password" }),
    });
    expect(refused.status).toBe(401);
    expect(passwords.jobs).toBeGreaterThanOrEqual(2);
  });

  it("fails a check with an error once closed, instead of hanging", async () => {
    passwords = workerPasswords();
    const inline = await inlinePasswords.hash("x", 4);
    await passwords.verify("x", inline);
    await passwords.close();
    // A new job after close starts a fresh worker: the hasher stays usable.
    expect(await passwords.verify("x", inline)).toBe(true);
  });
});
